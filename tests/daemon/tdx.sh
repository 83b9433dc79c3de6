#!/usr/bin/env bash
# vouchd's tdx backend, end to end, on a fake kernel tree (there is no TDX hardware here): tests/tools/fake_tdx
# plays configfs-tsm, the RTMR3 measurement file and the CCEL table, with the real boot events of the dstack
# simulator fixture's TD and quotes signed by a simulated PKI. What is real: vouchd, its unix sockets, curl as
# the client, and `vouch verify` checking each quote and replaying the event log to RTMR0–3.
# Usage: tdx.sh VOUCHD VOUCH FAKE_TDX VECTORS_DIR
set -u
VOUCHD=$1 VOUCH=$2 FAKE=$3 V=$4
T=$(mktemp -d)
fails=0 n=0 fake=0 daemon=0
trap 'reap $daemon $fake; rm -rf "$T"' EXIT
. "$(dirname "$0")/../lib.sh"

# start_fake ROOT [--ioctl]: a fake TD under ROOT, its PKI in $T/pki
start_fake() {
  local root=$1; shift
  "$FAKE" --root "$root" --state "$T/pki" --attestation "$V/dstack-simulator/attestation.bin" "$@" >"$T/fake.out" &
  fake=$!
  for _ in $(seq 200); do grep -q ready "$T/fake.out" 2>/dev/null && return; sleep 0.02; done
  echo "fake_tdx did not start"; exit 1
}
# start_vouchd ROOT ARGS...: runs vouchd on the tree; returns once it serves (0) or has exited (its status)
start_vouchd() {
  local root=$1; shift
  rm -f "$T/run/dstack.sock"
  "$VOUCHD" --fs-root "$root" --state-dir "$T/state" --listen-dir "$T/run" -v "$@" >"$T/vouchd.log" 2>&1 &
  daemon=$!
  for _ in $(seq 500); do
    [ -S "$T/run/dstack.sock" ] && return 0
    kill -0 $daemon 2>/dev/null || { wait $daemon; return $?; }
    sleep 0.01
  done
  return 124
}
stop_vouchd() { kill $daemon 2>/dev/null; wait $daemon 2>/dev/null; daemon=0; }
call() { curl -sS --unix-socket "$T/run/dstack.sock" -d "$2" "http://localhost/$1"; }
# verifies $T/out (a GetQuote or Attest response) under the fake's simulated root
verify() {
  "$VOUCH" verify --attestation "$1" --collateral <("$VOUCH" sim collateral --state-dir "$T/pki") \
    --root "$T/pki/sim-root.der" --json
}

R=$T/root
start_fake "$R"
expect 0 "vouchd --tee auto finds the TD and starts" -- start_vouchd "$R" --tee auto
cp "$T/vouchd.log" "$T/out"
contains "TEE backend: tdx" "the tdx backend was chosen"
contains "24 events" "the CCEL boot log was read (24 events)"
contains "runtime event system-ready" "a fresh TD gets the boot sequence of runtime events"

expect 0 "GetQuote answers" -- call GetQuote '{"report_data":"c0ffee"}'
cp "$T/out" "$T/q1.json"
expect 0 "its quote verifies and its event log replays" -- verify "$T/q1.json"
json 'j.is_valid && j.details.quote_verified && j.details.event_log_verified' "verdict: valid, log replays"
json 'j.details.vouch.simulated === true && j.details.vouch.rtmr.every(r => r.match)' "RTMR0-3 all match (simulated PKI)"
json 'j.details.report_data.startsWith("c0ffee00")' "the quote carries the report data"
json 'j.details.app_info.compose_hash.length === 64' "app identity decoded from the runtime events"

expect 0 "EmitEvent extends RTMR3" -- call EmitEvent '{"event":"agent-started","payload":"00ff"}'
expect 0 "Attest after the event" -- call Attest '{"report_data":"01"}'
cp "$T/out" "$T/a1.json"
expect 0 "the attestation verifies with the new event replayed" -- verify "$T/a1.json"
json 'j.is_valid && j.details.event_log_verified' "Attest: valid, log replays"
lines=$(wc -l <"$R/run/log/dstack/runtime_events.log")
expect 0 "dstack's runtime log holds 9 events (boot sequence, journal creation, ours)" -- test "$lines" = 9

# 16 quotes at once: the backend serialises them; each must carry its own report data
pids=()
for i in $(seq 10 25); do call GetQuote "{\"report_data\":\"$i\"}" >"$T/par$i.json" & pids+=($!); done
wait "${pids[@]}"
ok=0
for i in $(seq 10 25); do
  verify "$T/par$i.json" >"$T/out" 2>/dev/null &&
    node -e "const j=JSON.parse(require('fs').readFileSync('$T/out'));process.exit(j.is_valid&&j.details.report_data.startsWith('$i'+'00')?0:1)" &&
    ok=$((ok + 1))
done
expect 0 "16 concurrent GetQuotes: each verifies with its own report data" -- test $ok = 16

stop_vouchd
expect 0 "vouchd restarts on the same TD" -- start_vouchd "$R" --tee tdx
cp "$T/vouchd.log" "$T/out"
contains "runtime event log" "it reloads the runtime log"
lines=$(wc -l <"$R/run/log/dstack/runtime_events.log")
expect 0 "and does not emit the boot sequence again" -- test "$lines" = 9
expect 0 "GetQuote after the restart" -- call GetQuote '{"report_data":"02"}'
cp "$T/out" "$T/q2.json"
expect 0 "still verifies and replays" -- verify "$T/q2.json"
stop_vouchd

mv "$R/run/log/dstack/runtime_events.log" "$T/lost.log"
expect 1 "a runtime log that does not explain RTMR3 stops vouchd" -- start_vouchd "$R" --tee tdx
cp "$T/vouchd.log" "$T/out"
contains "RTMR3 of this TD differs from the replay of the runtime event log" "with the reason"
kill $fake; wait $fake 2>/dev/null

# the /dev/tdx_guest ioctl path: a plain file there cannot take the ioctl, and the error says so
R2=$T/root2
rm -rf "$T/state"
start_fake "$R2" --ioctl
expect 1 "without measurement files, RTMR3 goes through the ioctl" -- start_vouchd "$R2" --tee tdx
cp "$T/vouchd.log" "$T/out"
contains "TDX_CMD_EXTEND_RTMR ioctl on $R2/dev/tdx_guest: Inappropriate ioctl for device" "the ioctl's failure is named"
kill $fake; wait $fake 2>/dev/null

# trees that are not a TDX guest
mkdir -p "$T/empty"
expect 1 "--tee tdx without configfs-tsm" -- start_vouchd "$T/empty" --tee tdx
cp "$T/vouchd.log" "$T/out"
contains "no configfs-tsm report directory" "says what is missing"
expect 0 "--tee auto on a tree without TDX runs the simulator" -- start_vouchd "$T/empty" --tee auto
cp "$T/vouchd.log" "$T/out"
contains "TEE backend: sim" "and says so"
stop_vouchd
mkdir -p "$T/snp/sys/kernel/config/tsm/report/vouchd" "$T/snp/dev"
echo sev_guest >"$T/snp/sys/kernel/config/tsm/report/vouchd/provider"
: >"$T/snp/dev/tdx_guest"
expect 1 "a configfs-tsm provider other than tdx_guest" -- start_vouchd "$T/snp" --tee tdx
cp "$T/vouchd.log" "$T/out"
contains "the provider is not tdx_guest" "is refused by name"

finish
