#!/usr/bin/env bash
# The forgeries of issue 9, each tried as the attacker would, against vouchd (sim) and `vouch`:
#  - an app on dstack.sock emitting the events verifiers read identity and journal keys from (every reserved
#    name), and retyping system-ready in the event log it hands a verifier so that its own later events count;
#  - an app binding a journal key it holds elsewhere: GetQuote/Attest/RawQuote for vouchd's own report-data
#    domain, and a bundle spliced from another vouchd's journal and this TEE's quote; a bundle of the old format;
#  - a reboot (a new RTMR3): old and new entries still verify;
#  - whoever can write the state directory: an edited app-compose.json or a deleted instance-id-seed between two
#    starts of one boot, a rewritten journal (checkpoints deleted, an entry and its leaf rewritten), a deleted
#    seal, deleted app keys, a world-writable state directory.
# Usage: forgery.sh VOUCHD VOUCH
set -u
VOUCHD=$1 VOUCH=$2
T=$(mktemp -d)
fails=0 n=0 pid=0 pid2=0
. "$(dirname "$0")/../lib.sh"
stop() { # stop PID: SIGTERM and wait for that process only
  [ "${1:-0}" -gt 0 ] 2>/dev/null || return 0
  kill "$1" 2>/dev/null
  wait "$1" 2>/dev/null
}
trap 'stop $pid; stop $pid2; rm -rf "$T"' EXIT
chmod 0755 "$T"

# start STATE RUN [options]: vouchd's pid in $started; 1 when it exits before its socket appears
start() {
  local state=$1 run=$2; shift 2
  rm -f "$run/dstack.sock"
  "$VOUCHD" --tee sim --state-dir "$state" --listen-dir "$run" -q "$@" 2>"$T/vouchd.err" &
  started=$!
  for _ in $(seq 500); do [ -S "$run/dstack.sock" ] && return 0; kill -0 $started 2>/dev/null || return 1; sleep 0.01; done
  return 1
}
# call RUN METHOD JSON: POST on that vouchd's dstack.sock; the answer in $T/out; exit 0 on HTTP 200
call() {
  local code
  code=$(curl -s -o "$T/out" -w '%{http_code}' --unix-socket "$1/dstack.sock" -d "$3" "http://localhost/$2")
  [ "$code" = 200 ]
}
# starts_refused DESCRIPTION TEXT STATE RUN [options]: vouchd exits non-zero naming TEXT
starts_refused() {
  local what=$1 text=$2; shift 2
  n=$((n + 1))
  if start "$@"; then
    echo "FAIL $what: vouchd started"; fails=$((fails + 1)); stop $started; return
  fi
  if grep -qF -- "$text" "$T/vouchd.err"; then echo "ok   $what"; else
    echo "FAIL $what: no \"$text\" in:"; sed 's/^/    /' "$T/vouchd.err" | tail -3; fails=$((fails + 1)); fi
}
# forge SEQ PAYLOAD: rewrites entry SEQ of the default journal with PAYLOAD (JSON text) and the leaf hash vouchd
# would have computed for it (include/vouch/journal.h), as someone with the database and the format would
forge() {
  local row leaf
  row=$(sqlite3 "$S/journal.db" "SELECT time_ms, kind FROM entry WHERE journal='default' AND seq=$1")
  leaf=$(ROW="$row" P="$2" node -e "
const c=require('crypto');const [t,kind]=process.env.ROW.split('|');const p=Buffer.from(process.env.P);
const be=(v)=>{const b=Buffer.alloc(8);b.writeBigUInt64BE(BigInt(v));return b;};
const lp=(b)=>{const l=Buffer.alloc(4);l.writeUInt32BE(b.length);return Buffer.concat([l,b]);};
const leaf=Buffer.concat([Buffer.from('vouch.journal.entry.v1\0'),be($1),be(t),Buffer.from([0]),be(0),lp(Buffer.from(kind)),Buffer.from([1]),lp(p)]);
console.log(c.createHash('sha256').update(Buffer.concat([Buffer.from([0]),leaf])).digest('hex'))")
  sqlite3 "$S/journal.db" "UPDATE entry SET payload=CAST('$2' AS BLOB), leaf_hash=x'$leaf' WHERE journal='default' AND seq=$1"
}
S=$T/state R=$T/run
J="$VOUCH journal"
expect 0 "vouchd starts" -- start "$S" "$R"
pid=$started

# 1. reserved event names
for name in system-preparing app-id compose-hash init-script-hash gpu-policy-hash gpu-attestation instance-id \
            boot-mr-done os-image-hash key-provider storage-fs system-ready vouch-journal vouch-anything-later; do
  expect 1 "EmitEvent \"$name\" is refused" -- call "$R" EmitEvent "{\"event\":\"$name\",\"payload\":\"00\"}"
  contains "reserved" "  and said to be reserved"
done
expect 0 "an app's own event is taken" -- call "$R" EmitEvent '{"event":"app-status","payload":"6f6b"}'

# 1b. the event log handed to a verifier, with system-ready retyped (its digest kept: RTMR3 still replays)
call "$R" GetQuote '{"report_data":"c0ffee"}'
cp "$T/out" "$T/q.json"
"$VOUCH" sim collateral --state-dir "$S" -o "$T/coll.json"
V="--collateral $T/coll.json --root $S/sim-root.der"
expect 0 "the untouched attestation verifies" -- "$VOUCH" verify --attestation "$T/q.json" $V
node -e "
const fs = require('fs'); const q = JSON.parse(fs.readFileSync('$T/q.json'));
const log = JSON.parse(q.event_log); const e = log.find((x) => x.event === 'system-ready');
e.event_type = 1; q.event_log = JSON.stringify(log); fs.writeFileSync('$T/retyped.json', JSON.stringify(q));"
expect 2 "system-ready retyped: refused" -- "$VOUCH" verify --attestation "$T/retyped.json" $V
contains "RTMR3 holds runtime events only" "  because RTMR3 holds runtime events only"

# 2. vouchd's own report-data domain is not for clients
ownrd="ff$(printf 'vouchd-own-rd/1' | xxd -p)" # the 16-byte tag: ff "vouchd-own-rd/1"
expect 1 "GetQuote for vouchd's own report data is refused" -- call "$R" GetQuote "{\"report_data\":\"${ownrd}00\"}"
contains "reserved for vouchd's own bindings" "  and said why"
expect 1 "Attest too" -- call "$R" Attest "{\"report_data\":\"$ownrd\"}"
rd64=$ownrd$(printf '%096d' 0)
code=$(curl -s -o "$T/out" -w '%{http_code}' --unix-socket "$R/tappd.sock" -d "{\"report_data\":\"$rd64\"}" http://localhost/prpc/Tappd.RawQuote)
n=$((n + 1)); if [ "$code" != 200 ] && grep -q "own" "$T/out"; then echo "ok   Tappd.RawQuote too"; else echo "FAIL Tappd.RawQuote: $code"; fails=$((fails + 1)); fi

# 2b. a journal key held outside this TEE: another vouchd's journal spliced onto this TEE's quote and log
expect 0 "the attacker's own vouchd" -- start "$T/evil" "$T/evilrun"
pid2=$started
$J append post '{"text":"invented"}' --listen-dir "$T/evilrun" >/dev/null
expect 0 "the attacker exports its bundle" -- $J export --seq 0 -o "$T/evil.json" --sim-state "$T/evil" --listen-dir "$T/evilrun"
stop $pid2; pid2=0
ev=$(node -e "const b=JSON.parse(require('fs').readFileSync('$T/evil.json'));console.log(b.journal.id+b.journal.public_key)")
expect 1 "on the victim, EmitEvent vouch-journal with the attacker's key is refused" -- call "$R" EmitEvent "{\"event\":\"vouch-journal\",\"payload\":\"$ev\"}"
# the old (v1) binding is just 64 bytes any app could ask for: quoted, but it binds nothing now
v1=$(node -e "
const c=require('crypto');const b=JSON.parse(require('fs').readFileSync('$T/evil.json'));
console.log(c.createHash('sha512').update(Buffer.concat([Buffer.from('vouch.journal.key.v1\0'),Buffer.from(b.journal.id,'hex'),Buffer.from(b.journal.public_key,'hex')])).digest('hex'))")
expect 0 "GetQuote for the v1 binding's bytes (not in vouchd's domain)" -- call "$R" GetQuote "{\"report_data\":\"$v1\"}"
node -e "
const fs=require('fs');const b=JSON.parse(fs.readFileSync('$T/evil.json'));const q=JSON.parse(fs.readFileSync('$T/out'));
b.attestation.quote=q.quote;b.attestation.nonce='';
b.attestation.event_log=JSON.parse(q.event_log).map(e=>e.imr===3?e:{imr:e.imr,event_type:0,digest:e.digest,event:'',event_payload:''});
b.collateral=JSON.parse(fs.readFileSync('$T/coll.json'));b.collateral.pck_crl_issuer_chain='';delete b.collateral.pck_certificate_chain;
fs.writeFileSync('$T/spliced.json',JSON.stringify(b));"
expect 2 "the spliced bundle does not verify" -- $J verify "$T/spliced.json" --root "$S/sim-root.der"
contains "journal_event" "  it fails where the victim's log lacks the attacker's key"
node -e "
const fs=require('fs');const b=JSON.parse(fs.readFileSync('$T/evil.json'));b.format='vouch-journal-bundle/1';
fs.writeFileSync('$T/old.json',JSON.stringify(b));"
expect 2 "a bundle of the old format is refused" -- $J verify "$T/old.json" --root "$T/evil/sim-root.der"
contains "no longer accepted" "  and said why"

# 4. a reboot: RTMR3 starts again; entries from before and after still verify
for i in 0 1 2 3 4 5 6; do $J append post "{\"i\":$i}" --listen-dir "$R" >/dev/null; done
expect 0 "before the reboot: entry 3 exports" -- $J export --seq 3 -o "$T/b3.json" --sim-state "$S" --listen-dir "$R"
stop $pid; pid=0
rm "$S/runtime_events.log" # sim: what a reboot does to the runtime log
expect 0 "vouchd starts in a new boot" -- start "$S" "$R"
pid=$started
$J append post '{"after":"reboot"}' --listen-dir "$R" >/dev/null
expect 0 "after the reboot: the old entry exports" -- $J export --seq 3 -o "$T/a3.json" --sim-state "$S" --listen-dir "$R"
expect 0 "  and verifies" -- $J verify "$T/a3.json" --root "$S/sim-root.der"
expect 0 "after the reboot: a new entry exports" -- $J export --seq 7 -o "$T/a8.json" --sim-state "$S" --listen-dir "$R"
expect 0 "  and verifies" -- $J verify "$T/a8.json" --root "$S/sim-root.der"
expect 0 "the bundle made before the reboot still verifies" -- $J verify "$T/b3.json" --root "$S/sim-root.der"

# 10. identity drift within one boot
stop $pid; pid=0
cp "$S/app-compose.json" "$T/compose.bak"
printf '{"name":"another-app"}' >"$S/app-compose.json"
starts_refused "an edited app-compose.json: refused" "this boot measured another app-id" "$S" "$R"
cp "$T/compose.bak" "$S/app-compose.json"
mv "$S/instance-id-seed" "$T/seed.bak"
starts_refused "a deleted instance-id-seed: refused" "this boot measured another instance-id" "$S" "$R"
mv "$T/seed.bak" "$S/instance-id-seed"
expect 0 "restored: vouchd starts" -- start "$S" "$R"
pid=$started

# 11. a rewritten journal: checkpoints deleted, entry 5 and its leaf rewritten as vouchd would have written them
stop $pid; pid=0
sqlite3 "$S/journal.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null # one file to copy
cp "$S/journal.db" "$T/journal.db.bak"
sqlite3 "$S/journal.db" "DELETE FROM checkpoint"
forge 5 '{"i":"forged"}'
expect 2 "audit: UNVERIFIED, not CONSISTENT" -- $J audit "$S/journal.db"
contains "UNVERIFIED" "  says so"
starts_refused "vouchd refuses to sign the rewritten history" "was not written by vouchd" "$S" "$R"
# entries removed from the end, checkpoints deleted: every remaining entry is vouchd's, but the seal says more
cp "$T/journal.db.bak" "$S/journal.db"
sqlite3 "$S/journal.db" "DELETE FROM checkpoint; DELETE FROM entry WHERE journal='default' AND seq >= 5"
starts_refused "entries removed and checkpoints deleted: the seal refuses it" "does not reproduce the checkpoint" "$S" "$R"
mv "$S/journal.seal" "$T/seal.bak"
starts_refused "the seal deleted too: refused" "holds no checkpoint of it" "$S" "$R"
mv "$T/seal.bak" "$S/journal.seal"
cp "$T/journal.db.bak" "$S/journal.db"
expect 0 "the store restored: vouchd starts" -- start "$S" "$R"
pid=$started
stop $pid; pid=0
mv "$S/journal.seal" "$T/seal.bak"
expect 0 "--reseal: the operator accepts an unsealed store, loudly" -- start "$S" "$R" --reseal
pid=$started
n=$((n + 1)); if grep -q -- "--reseal: accepting" "$T/vouchd.err"; then echo "ok     and it is said"; else echo "FAIL not said"; fails=$((fails + 1)); fi
stop $pid; pid=0
expect 0 "  then vouchd starts again without it (the seal was written)" -- start "$S" "$R"
pid=$started
stop $pid; pid=0

# 11b. the entries a crash left without a checkpoint: vouchd signs them at start, but only those it wrote
echo '{"journal": {"checkpoint_every": 0, "checkpoint_interval_s": 0}}' >"$T/nocp.json"
expect 0 "vouchd without automatic checkpoints" -- start "$S" "$R" --config "$T/nocp.json"
pid=$started
for i in 0 1 2; do $J append post "{\"tail\":$i}" --listen-dir "$R" >/dev/null; done
kill -9 $pid; wait $pid 2>/dev/null; pid=0
rm -f "$R/dstack.sock"
sqlite3 "$S/journal.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null # what the crash left, in one file
cp "$S/journal.db" "$T/crashed.db"
last=$(sqlite3 "$S/journal.db" "SELECT max(seq) FROM entry WHERE journal='default'")
# rewrite the last entry with a correct leaf: the audit cannot tell (no checkpoint covers it)
forge "$last" '{"tail":"forged"}'
expect 0 "the audit cannot see an edit no checkpoint covers" -- $J audit "$S/journal.db"
contains "WARNING" "  and warns about the uncovered entries"
starts_refused "vouchd will not sign an uncovered entry it did not write" "its MAC does not verify" "$S" "$R"
cp "$T/crashed.db" "$S/journal.db"
sqlite3 "$S/journal.db" "INSERT INTO entry SELECT journal, seq+1, time_ms, client_time_ms, kind, payload_type, payload, leaf_hash, NULL FROM entry WHERE journal='default' AND seq=$last"
starts_refused "nor an entry inserted after them" "has no MAC" "$S" "$R"
cp "$T/crashed.db" "$S/journal.db"
expect 0 "the crashed store as vouchd left it: it starts and signs the tail" -- start "$S" "$R"
pid=$started
$J checkpoint --listen-dir "$R" --json >"$T/out"
json "j.checkpoint.tree_size===$((last + 1))" "  its checkpoint covers every entry"
stop $pid; pid=0

# 11c. the seal edited as a whole, or gone with the store; a journal created just before a crash
cp "$S/journal.seal" "$T/seal.good"
sqlite3 "$S/journal.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
cp "$S/journal.db" "$T/db.good"
node -e "
const fs=require('fs');const s=JSON.parse(fs.readFileSync('$S/journal.seal'));delete s.journals.default;
fs.writeFileSync('$S/journal.seal',JSON.stringify(s));"
starts_refused "a journal dropped from the seal: refused" "its MAC does not verify" "$S" "$R"
cp "$T/seal.good" "$S/journal.seal"
node -e "
const fs=require('fs');const s=JSON.parse(fs.readFileSync('$S/journal.seal'));
s.journals.default=JSON.parse(fs.readFileSync('$T/b3.json')).checkpoint; // an older genuine checkpoint
fs.writeFileSync('$S/journal.seal',JSON.stringify(s));"
starts_refused "an older genuine checkpoint put in the seal: refused" "its MAC does not verify" "$S" "$R"
rm "$S/journal.seal"; mkfifo "$S/journal.seal"
starts_refused "a FIFO in the seal's place: refused, not waited on" "journal.seal" "$S" "$R"
rm "$S/journal.seal"; cp "$T/seal.good" "$S/journal.seal"
mkdir "$T/gone" && mv "$S/journal.db" "$S/journal.seal" "$T/gone/"
starts_refused "the store and its seal both gone: refused (a new history under the same keys)" "are gone from" "$S" "$R"
mv "$T/gone/journal.db" "$T/gone/journal.seal" "$S/"
sqlite3 "$S/journal.db" "UPDATE journal SET id = zeroblob(32) WHERE name='default'"
starts_refused "a journal id edited in the store: refused" "stored id is not the hash" "$S" "$R"
cp "$T/db.good" "$S/journal.db"
expect 0 "vouchd starts again" -- start "$S" "$R"
pid=$started
$J append post '{"new":"journal"}' --journal fresh --listen-dir "$R" >/dev/null
kill -9 $pid; wait $pid 2>/dev/null; pid=0
expect 0 "a journal created just before a crash: vouchd starts on it" -- start "$S" "$R"
pid=$started
stop $pid; pid=0

# low: app keys gone, a new identity only when asked; a state directory anyone can write
mv "$S/app-keys.json" "$T/keys.bak"
starts_refused "app-keys.json missing from a used state directory: refused" "--new-identity" "$S" "$R"
mv "$T/keys.bak" "$S/app-keys.json"
chmod 0777 "$S"
expect 0 "a world-writable state directory" -- start "$S" "$R"
pid=$started
n=$((n + 1)); if grep -q "writable by anyone" "$T/vouchd.err"; then echo "ok   is warned about"; else echo "FAIL no warning"; fails=$((fails + 1)); fi
stop $pid; pid=0
chmod 0700 "$S"
finish
