#!/usr/bin/env bash
# Makes tests/vectors/vouch/journal-bundle.json and journal-sim-root.der anew: a fresh vouchd (sim) journals 13
# entries (entry 2: kind "blob", bytes 00 ff 10, client time 1764000000000), signs a checkpoint over them and
# exports entry 2 with its simulated collateral. Run it when the bundle format changes.
# Usage: make-journal-bundle.sh BUILD_DIR
set -euo pipefail
B=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
"$B/bin/vouchd" --tee sim --state-dir "$T/state" --listen-dir "$T/run" -q &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 500); do [ -S "$T/run/dstack.sock" ] && break; sleep 0.01; done
J="$B/bin/vouch journal"
L="--listen-dir $T/run"
$J append post '{"text":"gm","lang":"en"}' $L >/dev/null
$J append note --text hello $L >/dev/null
$J append blob --hex 00ff10 --client-time 1764000000000 $L >/dev/null
for i in $(seq 3 12); do $J append tick --text "t$i" $L >/dev/null; done
$J checkpoint --now $L >/dev/null
$J export --seq 2 -o "$here/journal-bundle.json" --sim-state "$T/state" $L
cp "$T/state/sim-root.der" "$here/journal-sim-root.der"
echo "made $here/journal-bundle.json"
