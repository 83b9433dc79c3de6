#!/usr/bin/env bash
# The journal as a user drives it: vouchd (sim) with its public listener, `vouch journal` append / tail /
# show / checkpoint / export / verify / audit, then the database tampered with plain SQL (sqlite3) in every
# way the issue names, each found by audit at its position; a fork made from a copy of the state directory;
# vouchd refusing a store that does not reproduce its checkpoint.
# Usage: journal.sh VOUCHD VOUCH
set -u
VOUCHD=$1 VOUCH=$2
T=$(mktemp -d)
fails=0 n=0 daemon=0 fork=0
trap 'reap $daemon $fork; [ "$fails" = 0 ] || sed "s/^/    vouchd: /" "$T/vouchd.err"; rm -rf "$T"' EXIT
. "$(dirname "$0")/../lib.sh"

PORT=$((20000 + RANDOM % 12000)) # below the ephemeral ports (32768 on), which clients' connections take
cat >"$T/config.json" <<EOF
{"journal": {"checkpoint_every": 5, "checkpoint_interval_s": 1}}
EOF
# start STATE RUN [more vouchd options]: the daemon's pid in $started
start() {
  local state=$1 run=$2; shift 2
  rm -f "$run/dstack.sock"
  "$VOUCHD" --tee sim --state-dir "$state" --listen-dir "$run" --config "$T/config.json" -q "$@" 2>>"$T/vouchd.err" &
  started=$!
  for _ in $(seq 300); do [ -S "$run/dstack.sock" ] && return 0; kill -0 $started 2>/dev/null || return 1; sleep 0.01; done
  return 1
}
J="$VOUCH journal"
L="--listen-dir $T/run"

expect 0 "vouchd starts with a journal and a public listener" -- start "$T/state" "$T/run" --public 127.0.0.1:$PORT
daemon=$started
expect 0 "append a JSON post" -- $J append post '{"text":"gm","lang":"en"}' $L
contains "seq 0" "it is entry 0"
expect 0 "append plain text" -- $J append note --text "hello" $L
expect 0 "append bytes with a client time" -- $J append blob --hex 00ff --client-time 1764000000000 $L
echo '{"from":"stdin"}' >"$T/stdin.json"
expect 0 "append JSON from stdin" -- sh -c "$J append post $L < $T/stdin.json"
for i in $(seq 4 11); do $J append tick --text "t$i" $L >/dev/null; done
expect 0 "a second journal, by name" -- $J append post '{"other":true}' --journal agent-2 $L
expect 64 "append without a payload is a usage error" -- $J append post --text a --hex 00 $L
expect 69 "append with vouchd unreachable" -- $J append post '{}' --listen-dir "$T/nowhere"
expect 0 "tail" -- $J tail -n 3 $L
contains "t11" "tail shows the last entry"
expect 0 "show --json" -- $J show 2 --json $L
json 'j.seq===2 && j.kind==="blob" && j.payload_hex==="00ff" && j.client_time_ms===1764000000000' "show: the entry's fields"
expect 0 "checkpoint --now" -- $J checkpoint --now --json $L
json 'j.checkpoint.tree_size===12 && j.checkpoint.signature.length===130' "a signed checkpoint of 12 entries"
cp "$T/out" "$T/cp12.json"

expect 0 "export a proof bundle" -- $J export --seq 2 -o "$T/bundle.json" --sim-state "$T/state" $L
expect 0 "verify it offline" -- $J verify "$T/bundle.json" --root "$T/state/sim-root.der"
contains "VERIFIED: entry 2" "verdict names the entry"
expect 0 "verify --json" -- $J verify "$T/bundle.json" --root "$T/state/sim-root.der" --json
json 'j.ok && j.simulated && j.steps.length===9 && j.steps.filter(s=>s.result==="pass").length===8' "JSON: 8 steps pass, measurements skipped"
compose=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$T/out')).compose_hash)")
mrtd=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$T/out')).mr_td)")
expect 0 "with the compose hash and MRTD one expects" -- $J verify "$T/bundle.json" --root "$T/state/sim-root.der" --expect-compose-hash "$compose" --expect-mrtd "$mrtd"
expect 2 "with another compose hash" -- $J verify "$T/bundle.json" --root "$T/state/sim-root.der" --expect-compose-hash "$(printf '%064d' 0)"
contains "step measurements" "fails at the measurements step"
expect 2 "under Intel's root" -- $J verify "$T/bundle.json"
contains "step quote" "fails at the quote step"
sed 's/"kind":"blob"/"kind":"blub"/' "$T/bundle.json" >"$T/bad.json"
expect 2 "an edited entry" -- $J verify "$T/bad.json" --root "$T/state/sim-root.der"
contains "step entry" "fails at the entry step"
expect 66 "a missing bundle" -- $J verify "$T/none.json"

expect 0 "audit the database" -- $J audit "$T/state/journal.db"
contains "CONSISTENT" "consistent"
contains "does not check that a TEE holds it" "and says the key's binding to a TEE is not checked by an audit"
expect 0 "audit through the public listener" -- $J audit "http://127.0.0.1:$PORT" --json
json 'j.ok && j.entries===12 && j.checkpoints>=3 && j.uncovered_entries===0' "URL audit: 12 entries, every checkpoint reproduced"
$J checkpoint --now --journal agent-2 $L >/dev/null
expect 0 "audit the second journal" -- $J audit "$T/state/journal.db" --journal agent-2
curl -s -d '{"kind":"x","payload":1}' "http://127.0.0.1:$PORT/prpc/JournalAppend" >"$T/out"
contains "Service not found" "the public listener takes no appends"

# a fork: a copy of the state directory (same keys) that goes on differently. vouchd is running: its seal is
# copied before its store (so that the copy's seal is never newer than the copy's store), and the store through
# SQLite's backup (a consistent copy of a database being written, WAL included)
mkdir "$T/state2" && cp "$T/state/journal.seal" "$T/state2/"
sqlite3 "$T/state/journal.db" ".backup '$T/state2/journal.db'"
for f in "$T/state"/*; do case ${f##*/} in journal.db*|journal.seal) ;; *) cp -r "$f" "$T/state2/" ;; esac; done
expect 0 "a copy of the state directory starts" -- start "$T/state2" "$T/run2"
fork=$started
$J append post '{"fork":"A"}' $L >/dev/null
$J append post '{"fork":"B"}' --listen-dir "$T/run2" >/dev/null
$J checkpoint --now --json $L >"$T/cp-main.json"
expect 0 "the copy signs its own checkpoint of 13 entries" -- $J checkpoint --now --json --listen-dir "$T/run2"
json 'j.checkpoint.tree_size===13' "size 13"
cp "$T/out" "$T/cp-fork.json"
kill $fork; wait $fork 2>/dev/null; fork=0
expect 2 "audit with the copy's checkpoint finds the fork" -- $J audit "$T/state/journal.db" --checkpoint "$T/cp-fork.json"
contains "fork" "and says fork"
expect 0 "a checkpoint kept from earlier agrees" -- $J audit "$T/state/journal.db" --checkpoint "$T/cp12.json"

# tampering, on a stopped vouchd's database (its WAL folded in)
kill $daemon; wait $daemon 2>/dev/null; daemon=0
cp "$T/state/journal.db" "$T/clean.db"
# tamper NAME SQL WORDS...: audit of the altered copy must fail and print WORDS
tamper() {
  local what=$1 sql=$2 words=$3
  cp "$T/clean.db" "$T/t.db"
  sqlite3 "$T/t.db" "$sql"
  expect 2 "$what: found" -- $J audit "$T/t.db"
  contains "$words" "$what: named"
}
tamper "a payload changed" "UPDATE entry SET payload = '{\"text\":\"gn\"}' WHERE journal='default' AND seq = 0" "entry 0: its fields"
tamper "a payload and its leaf hash changed" "UPDATE entry SET payload = '\"bye\"', leaf_hash = (SELECT leaf_hash FROM entry WHERE seq = 8 AND journal='default') WHERE journal='default' AND seq = 7" "entry 7: its fields"
tamper "an entry deleted" "DELETE FROM entry WHERE journal='default' AND seq = 6" "entry 6 is missing"
tamper "the last entries deleted" "DELETE FROM entry WHERE journal='default' AND seq >= 11" "were removed"
tamper "two entries swapped" "UPDATE entry SET seq = -1 WHERE journal='default' AND seq = 3; UPDATE entry SET seq = 3 WHERE journal='default' AND seq = 4; UPDATE entry SET seq = 4 WHERE journal='default' AND seq = -1" "entry 3: its fields"
tamper "an entry inserted" "UPDATE entry SET seq = seq + 100 WHERE journal='default' AND seq >= 5; UPDATE entry SET seq = seq - 99 WHERE journal='default' AND seq >= 105; INSERT INTO entry (journal, seq, time_ms, client_time_ms, kind, payload_type, payload, leaf_hash) SELECT journal, 5, time_ms, NULL, kind, payload_type, payload, leaf_hash FROM entry WHERE journal='default' AND seq = 4" "entry 5: its fields"
tamper "a checkpoint altered" "UPDATE checkpoint SET root = zeroblob(32) WHERE journal='default' AND tree_size = 10" "not signed by the journal's key"
tamper "a checkpoint's size altered" "UPDATE checkpoint SET tree_size = 9 WHERE journal='default' AND tree_size = 10" "not signed"

# vouchd itself refuses a store that does not reproduce its latest checkpoint
cp "$T/clean.db" "$T/state/journal.db"
sqlite3 "$T/state/journal.db" "UPDATE entry SET leaf_hash = zeroblob(32) WHERE journal='default' AND seq = 1"
expect 1 "vouchd refuses an altered store" -- start "$T/state" "$T/run"
cp "$T/vouchd.err" "$T/out"
contains "does not reproduce its latest signed checkpoint" "and says why"

finish
