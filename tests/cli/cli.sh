#!/usr/bin/env bash
# The `vouch` command as a user runs it: exit codes, human and JSON output, stdin, the fetch path against
# the local PCS look-alike, and --attestation. Usage: cli.sh VOUCH_BIN PCS_SERVER_BIN VECTORS_DIR
set -u
VOUCH=$1 PCS=$2 V=$3
D=$V/dcap
T=$(mktemp -d)
fails=0 n=0
trap 'kill $server 2>/dev/null; rm -rf "$T"' EXIT

. "$(dirname "$0")/../lib.sh"

TDX="$D/tdx_quote --collateral $D/tdx_quote_collateral.json --now 1752919234"
SGX="$D/sgx_quote --collateral $D/sgx_quote_collateral.json --now 2025-07-19T10:01:17Z"

expect 64 "no verb is a usage error" -- "$VOUCH"
expect 64 "an unknown verb is a usage error" -- "$VOUCH" frobnicate
expect 0 "--help" -- "$VOUCH" --help
contains "exit codes" "--help documents the exit codes"
expect 0 "verify --help" -- "$VOUCH" verify --help
expect 0 "version" -- "$VOUCH" version

expect 0 "TDX vector verifies" -- "$VOUCH" verify $TDX
contains "VERIFIED" "human verdict says VERIFIED"
contains "UpToDate" "human verdict shows the status"
expect 0 "TDX vector --json" -- "$VOUCH" verify $TDX --json
json 'j.ok===true && j.status==="UpToDate" && j.advisory_ids.length===0' "JSON: ok, status, advisories"
json 'j.tee==="tdx" && j.version===4 && j.simulated===false' "JSON: tee, version, simulated"
json '/^[0-9a-f]{128}$/.test(j.report_data) && /^91eb2b44/.test(j.measurements.mr_td)' "JSON: report_data and measurements"
json 'j.checks.length===34 && j.checks.every(c => c.result==="pass" || c.result==="n/a")' "JSON: every check listed and passed"
json 'j.skipped.length===0 && j.collateral_expiry==="2025-07-19T10:00:35Z"' "JSON: nothing skipped, expiry shown"

expect 0 "SGX vector verifies (no --accept)" -- "$VOUCH" verify $SGX
expect 1 "--accept UpToDate rejects ConfigurationAndSWHardeningNeeded" -- "$VOUCH" verify $SGX --accept UpToDate
contains "REJECTED" "rejection is printed"
expect 0 "--accept listing the status accepts" -- "$VOUCH" verify $SGX --accept UpToDate,ConfigurationAndSWHardeningNeeded
expect 0 "SGX --json advisories in order" -- "$VOUCH" verify $SGX --json
json 'j.advisory_ids.join()==="INTEL-SA-00289,INTEL-SA-00615" && j.tee==="sgx" && j.version===3' "JSON: SGX advisories and tee"

expect 2 "hex quote of another platform is invalid" -- "$VOUCH" verify "$D/tdx-quote.hex" --collateral "$D/tdx_quote_collateral.json" --now 1752919234 --json
json 'j.ok===false && /No matching TCB level found/.test(j.error) && j.error_code==="VOUCH_E_NO_TCB_LEVEL"' "JSON: error names the check"
expect 2 "an expired CRL is invalid" -- "$VOUCH" verify $D/tdx_quote --collateral $D/tdx_quote_collateral.json --now 1752919235
contains "pck.revocation" "the failed check is named"
head -c 1000 "$D/tdx_quote" > "$T/short"
expect 2 "a truncated quote is invalid" -- "$VOUCH" verify "$T/short" --collateral "$D/tdx_quote_collateral.json" --now 1752919234
contains "Failed to decode quote" "decoding error is reported"
expect 0 "quote from stdin" -- sh -c "cat $D/tdx_quote | '$VOUCH' verify - --collateral $D/tdx_quote_collateral.json --now 1752919234"

expect 66 "a missing quote file" -- "$VOUCH" verify "$T/nope" --no-collateral
head -c 1001 "$D/tdx-quote.hex" > "$T/odd.hex"
expect 2 "an odd-length hex quote is invalid input (2), not unreadable (66)" -- "$VOUCH" verify "$T/odd.hex" --no-collateral
contains "not valid hex" "said"
expect 2 "quote show: odd-length hex is invalid" -- "$VOUCH" quote show "$T/odd.hex"
TDXQ="$D/tdx_quote --collateral $D/tdx_quote_collateral.json"
expect 0 "--now with an RFC 3339 offset (+02:00)" -- "$VOUCH" verify $TDXQ --now 2025-07-19T12:00:34+02:00
expect 2 "--now with an offset is applied: one second later the CRL has expired" -- "$VOUCH" verify $TDXQ --now 2025-07-19T12:00:35+02:00
expect 0 "--now with a negative offset and fractional seconds" -- "$VOUCH" verify $TDXQ --now 2025-07-19T05:00:34.999-05:00
expect 0 "--now with fractional seconds, Z" -- "$VOUCH" verify $TDXQ --now 2025-07-19T10:00:34.5Z
for bad in 2025-07-19T12:00:34+2:00 2025-07-19T10:00:34.Z 2025-07-19T10:00:34+02:00x 2025-07-19T10:00:34+24:00; do
  expect 64 "--now $bad is refused" -- "$VOUCH" verify $TDXQ --now $bad
done
# offsets of digits only (sscanf's %2d took a sign or a space: +-1:00 was accepted as one hour back)
for bad in "2025-07-19T12:00:34+-1:00" "2025-07-19T12:00:34+ 2:00" "2025-07-19T10:00:34+00:-5" "2025-07-19T10:00:34-+0:00"; do
  expect 64 "--now $bad (an offset that is not digits) is refused" -- "$VOUCH" verify $TDXQ --now "$bad"
done
expect 64 "a bad --now" -- "$VOUCH" verify $D/tdx_quote --no-collateral --now yesterday
expect 64 "an unknown --accept status" -- "$VOUCH" verify $D/tdx_quote --no-collateral --accept Fine
expect 64 "--collateral and --no-collateral together" -- "$VOUCH" verify $D/tdx_quote --no-collateral --collateral x
expect 69 "--offline with an empty cache" -- "$VOUCH" verify $D/tdx_quote --offline --cache-dir "$T/empty"
contains "offline" "the reason names --offline"

expect 0 "--no-collateral verifies what it can" -- "$VOUCH" verify $D/tdx_quote --no-collateral --now 1752919234
contains "WITHOUT COLLATERAL" "and says collateral was not used"
contains "not checked:" "and lists what was not checked"
expect 0 "--no-collateral --json" -- "$VOUCH" verify $D/tdx_quote --no-collateral --now 1752919234 --json
json 'j.ok && j.no_collateral===true && j.status==="Unknown" && j.skipped.includes("pck.revocation")' "JSON: no_collateral, Unknown, skipped list"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/k.pem" -subj "/CN=Other Root" \
  -days 30 -outform DER -out "$T/root.der" 2>/dev/null
expect 2 "another root: the collateral has no CRL for it" -- "$VOUCH" verify $TDX --root "$T/root.der" --json
json 'j.simulated===true && j.error_code==="VOUCH_E_CRL_UNKNOWN"' "JSON: simulated with a caller root"
contains '"simulated": true' "simulated cannot be hidden"

expect 0 "quote show" -- "$VOUCH" quote show "$D/tdx_quote"
contains "rt_mr0" "quote show lists the registers"
expect 0 "quote show --json on hex input" -- "$VOUCH" quote show "$D/quote-from-tappd.hex" --json
json 'j.header.version===4 && j.body_type==="TD10" && j.trailing_bytes===70 && j.auth_data.certification_data.cert_type===5' "quote JSON: header, body, trailing, cert type"
expect 2 "quote show on garbage" -- "$VOUCH" quote show "$T/short"
expect 64 "quote without show" -- "$VOUCH" quote "$D/tdx_quote"

expect 0 "attestation.bin verifies and replays" -- "$VOUCH" verify --attestation "$V/dstack-simulator/attestation.bin" --no-collateral --now 2026-06-01T00:00:00Z --json
json 'j.is_valid===true && j.details.event_log_verified===true && j.details.app_info.compose_hash==="c143116fef3940e7f776bfc0919c256232ae5338a6e948c96b711e0b2383483a"' "attestation: verifier shape with app info"
json 'j.details.os_image_hash_verified===false && j.details.vouch.skipped.some(s => /os_image_hash/.test(s))' "attestation: unverifiable OS image is named"
# the compose hash appears in the quote (MRCONFIGID), then in the event log: change the event log's copy
node -e "
const b=require('fs').readFileSync('$V/dstack-simulator/attestation.bin');
const h=Buffer.from('c143116fef3940e7','hex'); const i=b.indexOf(h, b.indexOf(h)+1);
b[i]^=1; require('fs').writeFileSync('$T/att.bin', b)"
expect 2 "an event log payload changed under its digest is invalid" -- "$VOUCH" verify --attestation "$T/att.bin" --no-collateral --now 2026-06-01T00:00:00Z
contains "compose-hash" "the event is named"
expect 66 "--attestation of a missing file" -- "$VOUCH" verify --attestation "$T/missing"

# verify-response on an answer vouch-gateway streamed (tests/vectors/gateway: made with vouchd --tee=sim and
# tests/tools/fake_llm; the simulated collateral is fresh at made-at)
G="$V/gateway"
AT=$(cat "$G/made-at")
NONCE=0000000000000000000000000000000000000000000000000000000000000007
vr() { "$VOUCH" verify-response --request "$G/request.json" --collateral "$G/collateral.json" --root "$G/sim-root.der" --now "$AT" "$@"; }
expect 0 "verify-response: a streamed answer, ECDSA" -- vr --response "$G/response.sse" --signature "$G/signature-ecdsa.json" --report "$G/report-ecdsa.json" --nonce $NONCE
contains "the quote binds the signing key and your nonce" "the nonce is the verifier's"
expect 0 "verify-response: Ed25519, --json" -- vr --response "$G/response.sse" --signature "$G/signature-ed25519.json" --report "$G/report-ed25519.json" --nonce $NONCE --json
json 'j.ok===true && j.simulated===true && j.steps.length===5 && j.steps.every(s => s.result==="pass")' "every step passed"
sed 's/tok1/tok9/' "$G/response.sse" > "$T/edited.sse"
expect 2 "verify-response: an edited answer" -- vr --response "$T/edited.sse" --signature "$G/signature-ecdsa.json" --report "$G/report-ecdsa.json" --json
json 'j.ok===false && j.failed_step==="text" && j.steps[1].result==="not run"' "fails at text, nothing after runs"
expect 2 "verify-response: the report of the other key" -- vr --response "$G/response.sse" --signature "$G/signature-ecdsa.json" --report "$G/report-ed25519.json"
contains "another key" "named"
expect 2 "verify-response: another nonce than the verifier's (a replayed report)" -- vr --response "$G/response.sse" --signature "$G/signature-ecdsa.json" --report "$G/report-ecdsa.json" --nonce ${NONCE%7}8
contains "replayed" "named"
expect 2 "verify-response: a TLS fingerprint against a version 1 report (it binds no TLS key)" -- vr --response "$G/response.sse" --signature "$G/signature-ecdsa.json" --report "$G/report-ecdsa.json" --nonce $NONCE --tls-fingerprint $NONCE
contains "version=2" "the way out is named"
expect 2 "verify-response: Intel's root instead of the simulated one" -- "$VOUCH" verify-response --request "$G/request.json" --response "$G/response.sse" --signature "$G/signature-ecdsa.json" --report "$G/report-ecdsa.json" --collateral "$G/collateral.json" --now "$AT"
contains "!! quote" "the quote step fails"
expect 2 "verify-response: months after the collateral's validity" -- vr --response "$G/response.sse" --signature "$G/signature-ecdsa.json" --report "$G/report-ecdsa.json" --now 2027-06-01T00:00:00Z
expect 64 "verify-response: a nonce that is not 32 bytes" -- vr --response "$G/response.sse" --signature "$G/signature-ecdsa.json" --report "$G/report-ecdsa.json" --nonce abc
expect 64 "verify-response: a document missing" -- vr --response "$G/response.sse" --signature "$G/signature-ecdsa.json"
expect 66 "verify-response: an unreadable file" -- vr --response "$T/missing" --signature "$G/signature-ecdsa.json" --report "$G/report-ecdsa.json"
expect 69 "verify-response: no collateral, offline" -- "$VOUCH" verify-response --request "$G/request.json" --response "$G/response.sse" --signature "$G/signature-ecdsa.json" --report "$G/report-ecdsa.json" --offline --cache-dir "$T/empty-cache" --root "$G/sim-root.der"

# every verifier prints the identity it verified and takes the same pins (issue 9, item 7)
ATT="--attestation $V/dstack-simulator/attestation.bin --no-collateral --now 2026-06-01T00:00:00Z"
SIMC=c143116fef3940e7f776bfc0919c256232ae5338a6e948c96b711e0b2383483a SIMAPP=5bb4ff9a3837357f19dc176407a5709c62eb6c56
ZERO48=$(printf '0%.0s' $(seq 96))
expect 0 "--attestation: the identity is printed, and that no pin was given" -- "$VOUCH" verify $ATT
contains "compose_hash   $SIMC" "the compose hash"
contains "app_id         $SIMAPP" "the app id"
contains "any code in a TEE is accepted" "no pin: said"
expect 0 "--attestation --json: identity" -- "$VOUCH" verify $ATT --json
json "j.identity.compose_hash==='$SIMC' && j.identity.app_id==='$SIMAPP' && /^[0-9a-f]{96}\$/.test(j.identity.mr_td) && /^[0-9a-f]{96}\$/.test(j.identity.rtmr3) && j.identity.pinned.length===0 && /any code/.test(j.identity.note)" "JSON: app id, compose hash, MRTD, RTMRs, no pin"
SIMMRTD=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$T/out','utf8')).identity.mr_td)")
expect 0 "--attestation: every pin matching" -- "$VOUCH" verify $ATT --expect-compose-hash $SIMC --expect-app-id $SIMAPP --expect-mrtd $SIMMRTD
contains "(pinned)" "pins are shown"
expect 2 "--attestation: another compose hash pinned" -- "$VOUCH" verify $ATT --expect-compose-hash ${SIMC%a}b
contains "--expect-compose-hash: the compose hash is $SIMC, not ${SIMC%a}b" "the mismatch is precise"
expect 2 "--attestation: another app id pinned" -- "$VOUCH" verify $ATT --expect-app-id ${SIMAPP%6}7 --json
json "j.is_valid===false && /--expect-app-id: the app id is $SIMAPP/.test(j.reason)" "JSON: invalid, reason names the pin"
expect 2 "--attestation: another MRTD pinned" -- "$VOUCH" verify $ATT --expect-mrtd $ZERO48
expect 64 "a pin that is not hex of the right size" -- "$VOUCH" verify $ATT --expect-compose-hash abc
expect 64 "a bare quote names no app: no compose hash pin" -- "$VOUCH" verify $TDX --expect-compose-hash $SIMC
expect 2 "a bare TDX quote: another MRTD pinned" -- "$VOUCH" verify $TDX --expect-mrtd $ZERO48
contains "--expect-mrtd: the MRTD is 91eb2b44" "named"
GWC=614fb7c1769ce7302bde150e42cfa912d5234a48203c25c1bd0268847599bd26
expect 0 "verify-response: the app whose quote it is is named, and that no pin was given" -- vr --response "$G/response.sse" --signature "$G/signature-ed25519.json" --report "$G/report-ed25519.json" --nonce $NONCE
contains "compose_hash   $GWC" "its compose hash"
contains "any code in a TEE is accepted" "no pin: said"
# another app's answer (here: the gateway vector, against the compose hash of another app pinned as the genuine one)
expect 2 "verify-response: a quote of another compose than the one pinned" -- vr --response "$G/response.sse" --signature "$G/signature-ed25519.json" --report "$G/report-ed25519.json" --nonce $NONCE --expect-compose-hash $SIMC --json
json "j.ok===false && j.failed_step==='quote' && j.identity.compose_hash==='$GWC' && j.identity.pinned[0]==='compose_hash' && /--expect-compose-hash: the compose hash is $GWC/.test(j.steps[3].note)" "fails at the quote step, naming the compose hash found"
expect 0 "verify-response: the right compose hash and app id pinned" -- vr --response "$G/response.sse" --signature "$G/signature-ed25519.json" --report "$G/report-ed25519.json" --nonce $NONCE --expect-compose-hash $GWC --expect-app-id ${GWC:0:40}
JB="$V/vouch/journal-bundle.json"
JAT=$(($(grep -o '"exported_ms":[0-9]*' "$JB" | cut -d: -f2) / 1000))
jv() { "$VOUCH" journal verify "$JB" --root "$V/vouch/journal-sim-root.der" --now $JAT "$@"; }
expect 0 "journal verify: the identity is printed" -- jv --json
json "/^[0-9a-f]{64}\$/.test(j.identity.compose_hash) && /^[0-9a-f]{40}\$/.test(j.identity.app_id) && /^[0-9a-f]{96}\$/.test(j.identity.rtmr0) && /any code/.test(j.identity.note)" "JSON: identity"
JAPP=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$T/out','utf8')).identity.app_id)")
JKEY=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$T/out','utf8')).journal.public_key)")
JID=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$T/out','utf8')).journal.id)")
expect 0 "journal verify: app id, journal key and id pinned" -- jv --expect-app-id $JAPP --expect-journal-key $JKEY --expect-journal-id $JID
contains "app id as expected" "the measurements step passes"
expect 2 "journal verify: another app id pinned" -- jv --expect-app-id ${SIMAPP}
contains "app id is $JAPP, not the one expected" "named at measurements"
expect 2 "journal verify: another journal key pinned" -- jv --expect-journal-key 02${ZERO48:0:64}
contains "step key_binding: the journal key is not the one expected" "named at key_binding"
expect 2 "journal verify: another journal id pinned" -- jv --expect-journal-id ${ZERO48:0:64}
contains "the journal id is not the one expected" "named"
expect 64 "journal verify: a journal key that is not compressed" -- jv --expect-journal-key 04${ZERO48:0:64}

# --ratls: the certificate itself (tests/vectors/ratls: GetTlsKey of vouchd --tee=sim, fresh at made-at)
R="$V/ratls"
rt() { "$VOUCH" verify --collateral "$R/collateral.json" --root "$R/sim-root.der" --now "$(cat "$R/made-at")" "$@"; }
expect 0 "--ratls: vouchd's certificate chain (leaf, app CA)" -- rt --ratls "$R/ok-chain.pem"
contains "signature verified under the issuer certificate's key" "the signature is checked under the app CA"
contains "bound to the certificate's key" "the binding is stated once checked"
expect 0 "--ratls --json" -- rt --ratls "$R/ok-chain.pem" --json
json "j.is_valid===true && j.ratls.signature==='issuer' && j.ratls.bound_to_key===true && /^[0-9a-f]{64}\$/.test(j.identity.compose_hash)" "JSON: ratls and identity"
expect 0 "--ratls: the leaf alone" -- rt --ratls "$R/ok-leaf.pem"
contains "signature NOT checked" "an unchecked signature is said"
expect 0 "--ratls: the leaf with --ca" -- rt --ratls "$R/ok-leaf.pem" --ca "$R/ca.pem"
contains "verified under the issuer" "checked under --ca"
expect 2 "--ratls: a certificate valid only in 2000-2001" -- rt --ratls "$R/y2000-chain.pem"
contains "expired at 2001-01-01T00:00:00Z" "the date is named"
openssl x509 -in "$R/ok-leaf.pem" -outform DER -out "$T/leaf.der"
node -e "const f='$T/leaf.der', b=require('fs').readFileSync(f); b[b.length-3]^=0x55; require('fs').writeFileSync('$T/flipped.der', b)"
expect 2 "--ratls: the genuine certificate with its signature bytes flipped" -- rt --ratls "$T/flipped.der" --ca "$R/ca.pem"
contains "signature does not verify under the issuer's key" "the signature is named"
expect 0 "--ratls: a DER leaf alone (its quote's PEM chain is not taken for an issuer)" -- rt --ratls "$T/flipped.der"
contains "signature NOT checked" "without the issuer the signature is said unchecked"
expect 2 "--ratls: --ca that is not its issuer" -- rt --ratls "$T/leaf.der" --ca "$R/sim-root.der"
expect 64 "--ca without --ratls" -- rt --attestation "$R/ok-leaf.pem" --ca "$R/ca.pem"
expect 2 "--ratls: a pinned compose hash it does not have" -- rt --ratls "$R/ok-chain.pem" --expect-compose-hash $SIMC
contains "--expect-compose-hash: the compose hash is" "named"

# the fetch path against the local PCS look-alike
"$PCS" "$D/tdx_quote_collateral.json" "$D/sgx_quote_collateral.json" > "$T/port" &
server=$!
for _ in $(seq 50); do grep -q port "$T/port" 2>/dev/null && break; sleep 0.1; done
URL="http://127.0.0.1:$(awk '{print $2}' "$T/port")"
expect 0 "collateral fetch" -- "$VOUCH" collateral fetch "$D/tdx_quote" --pccs "$URL" --cache-dir "$T/cache" --now 1752919234
json 'j.tcb_info.startsWith("{\"id\":\"TDX\"") && j.root_ca_crl.length > 100' "fetched collateral is dcap-qvl JSON"
expect 0 "verify fetches when no collateral is given" -- "$VOUCH" verify "$D/sgx_quote" --pccs "$URL" --cache-dir "$T/cache" --now 1752919277
expect 0 "--offline then uses that server's cache entry" -- "$VOUCH" verify "$D/tdx_quote" --pccs "$URL" --offline --cache-dir "$T/cache" --now 1752919234
expect 69 "the cache is per server: none for Intel PCS" -- "$VOUCH" verify "$D/tdx_quote" --offline --cache-dir "$T/cache" --now 1752919234
expect 0 "VOUCH_PCCS_URL is honoured" -- env VOUCH_PCCS_URL="$URL" "$VOUCH" verify "$D/tdx_quote" --cache-dir "$T/cache2" --now 1752919234
expect 69 "a failing server is reported" -- "$VOUCH" verify "$D/tdx_quote" --pccs "$URL/fail500" --cache-dir "$T/cache3" --now 1752919234
contains "HTTP 500" "with its status"
# a PCCS answering 200 with an empty or malformed body: collateral asked for and not had is exit 69 on every
# path, never "verified without collateral"
for part in pckcrl rootcacrl tcb qe; do
  expect 69 "verify: empty $part answer" -- "$VOUCH" verify "$D/tdx_quote" --pccs "$URL/empty-$part" --cache-dir "$T/c-$part" --now 1752919234
done
expect 69 "verify --attestation: empty pckcrl answer" -- "$VOUCH" verify --attestation "$V/dstack-simulator/attestation.bin" --pccs "$URL/empty-pckcrl" --cache-dir "$T/c-att" --now 2026-06-01T00:00:00Z
contains "body is not a CRL" "the bad answer is named"
expect 69 "verify --attestation: malformed tcb answer" -- "$VOUCH" verify --attestation "$V/dstack-simulator/attestation.bin" --pccs "$URL/garbage-tcb" --cache-dir "$T/c-att" --now 2026-06-01T00:00:00Z
expect 69 "verify-response: empty pckcrl answer" -- "$VOUCH" verify-response --request "$G/request.json" --response "$G/response.sse" --signature "$G/signature-ecdsa.json" --report "$G/report-ecdsa.json" --root "$G/sim-root.der" --now "$AT" --pccs "$URL/empty-pckcrl" --cache-dir "$T/c-vr"
expect 69 "verify: a redirect to another host is not followed" -- "$VOUCH" verify "$D/tdx_quote" --pccs "$URL/redirect-away" --cache-dir "$T/c-redir" --now 1752919234
contains "refused" "the redirect is named"

finish
