#!/usr/bin/env bash
# What held up must keep holding (issue 9):
#  - a sign-only key is never exported, by any spelling of its path: GetKey / Tappd.DeriveKey / DeriveK256Key
#    with "wallet//eth", "./wallet/eth", "%2F", unicode look-alikes, a NUL, a trailing space… are refused, or give
#    another key (dstack's derivation hashes the exact path bytes): never the sign-only key itself;
#  - the public port is read-only: every method of the dstack, Tappd and journal APIs, by POST and by GET, is
#    refused there except the read-only ones, and a read-only one cannot be made to write.
# Usage: surface.sh VOUCHD VOUCH
set -u
VOUCHD=$1 VOUCH=$2
T=$(mktemp -d)
fails=0 n=0 pid=0
. "$(dirname "$0")/../lib.sh"
NM=$(cd "$(dirname "$0")/../compat/node_modules" && pwd)
trap '[ $pid -gt 0 ] && kill $pid 2>/dev/null && wait $pid 2>/dev/null; rm -rf "$T"' EXIT
R=$T/run
"$VOUCHD" --tee sim --state-dir "$T/state" --listen-dir "$R" --sign-only wallet/ --public 127.0.0.1:0 2>"$T/vouchd.err" &
pid=$!
for _ in $(seq 500); do grep -q "ready in" "$T/vouchd.err" && break; sleep 0.01; done
port=$(sed -n 's/.*public 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/vouchd.err" | head -1)
n=$((n + 1)); if [ -n "$port" ] && [ "$port" != 0 ]; then echo "ok   vouchd serves its public port ($port)"; else
  echo "FAIL no public port in:"; cat "$T/vouchd.err"; fails=$((fails + 1)); finish; exit 1; fi

# the sign-only key's public half, through Sign (it never leaves vouchd)
for alg in secp256k1 ed25519; do
  "$VOUCH" key wallet/eth --algorithm $alg --listen-dir "$R" --json >"$T/key.json"
  secret_pub=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$T/key.json')).public_key)")
  for spelling in 'wallet/eth' 'wallet//eth' './wallet/eth' 'wallet/./eth' '/wallet/eth' 'wallet%2Feth' 'wallet\u2215eth' \
                  'wallet\uff0feth' 'wallet/eth\u0000' 'wallet/eth ' ' wallet/eth' 'WALLET/eth' 'wallet\\eth' 'wallet/eth/'; do
    for m in GetKey; do
      curl -s --unix-socket "$R/dstack.sock" -d "{\"path\":\"$spelling\",\"algorithm\":\"$alg\"}" http://localhost/$m >"$T/out"
      node -e "
const {secp256k1}=require('$NM/@noble/curves/secp256k1.js');
const {ed25519}=require('$NM/@noble/curves/ed25519.js');
const r=JSON.parse(require('fs').readFileSync('$T/out'));
if (r.error) process.exit(0);                      // refused
const k=Buffer.from(r.key,'hex');
const pub=Buffer.from('$alg'==='ed25519'?ed25519.getPublicKey(k):secp256k1.getPublicKey(k,true)).toString('hex');
process.exit(pub==='$secret_pub'?1:0);" 2>"$T/err"
      rc=$?
      n=$((n + 1)); if [ $rc = 0 ]; then echo "ok   $m $alg \"$spelling\": refused or another key"; else
        echo "FAIL $m $alg \"$spelling\": exported the sign-only key ($(head -c 200 "$T/err"))"; fails=$((fails + 1)); fi
    done
  done
done
for spelling in 'wallet/eth' 'wallet//eth' './wallet/eth'; do
  for m in Tappd.DeriveKey Tappd.DeriveK256Key; do
    code=$(curl -s -o "$T/out" -w '%{http_code}' --unix-socket "$R/tappd.sock" -d "{\"path\":\"$spelling\"}" http://localhost/prpc/$m)
    n=$((n + 1))
    if [ "$spelling" = wallet/eth ]; then
      if [ "$code" != 200 ] && grep -q "sign-only" "$T/out"; then echo "ok   $m \"$spelling\": refused"; else echo "FAIL $m \"$spelling\": $code"; fails=$((fails + 1)); fi
    else
      echo "ok   $m \"$spelling\": answered $code (another path: another key)"
    fi
  done
done
# GET with the path in the query, percent-encoded
code=$(curl -s -o "$T/out" -w '%{http_code}' --unix-socket "$R/dstack.sock" "http://localhost/GetKey?path=wallet%2Feth")
n=$((n + 1)); if [ "$code" != 200 ]; then echo "ok   GET GetKey?path=wallet%2Feth: refused"; else echo "FAIL GET wallet%2Feth answered"; fails=$((fails + 1)); fi

# the public port: only reads
ro="Info Version GetAttestationForAppKey JournalList JournalGet JournalCheckpoint JournalCheckpoints JournalProve JournalConsistency JournalAttestation"
for m in GetKey Sign Verify GetQuote Attest EmitEvent GetTlsKey GpuInfo JournalAppend DeriveKey DeriveK256Key TdxQuote RawQuote \
         Tappd.DeriveKey Tappd.TdxQuote Worker.GetKey Worker.Sign Worker.EmitEvent Worker.JournalAppend; do
  for how in POST GET; do
    if [ $how = POST ]; then
      code=$(curl -s -o "$T/out" -w '%{http_code}' -d '{"path":"x","event":"x","payload":"00","kind":"x"}' "http://127.0.0.1:$port/prpc/$m")
    else
      code=$(curl -s -o "$T/out" -w '%{http_code}' "http://127.0.0.1:$port/prpc/$m?path=x&kind=x")
    fi
    n=$((n + 1)); if [ "$code" != 200 ]; then echo "ok   public $how $m: refused ($code)"; else echo "FAIL public $how $m answered 200"; fails=$((fails + 1)); fi
  done
done
for m in $ro; do
  code=$(curl -s -o "$T/out" -w '%{http_code}' -d '{}' "http://127.0.0.1:$port/prpc/$m")
  echo "     public POST $m: $code" >/dev/null
done
code=$(curl -s -o "$T/out" -w '%{http_code}' -d '{"now":true}' "http://127.0.0.1:$port/prpc/JournalCheckpoint")
n=$((n + 1)); if [ "$code" != 200 ] && grep -q "read-only" "$T/out"; then echo "ok   public JournalCheckpoint {now:true}: refused"; else echo "FAIL public checkpoint now: $code"; fails=$((fails + 1)); fi
code=$(curl -s -o "$T/out" -w '%{http_code}' -d '{"journal":"created-from-outside"}' "http://127.0.0.1:$port/prpc/JournalGet")
n=$((n + 1)); if [ "$code" != 200 ]; then echo "ok   public JournalGet of an unknown journal creates nothing"; else echo "FAIL journal created"; fails=$((fails + 1)); fi
finish
