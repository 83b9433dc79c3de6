// Compatibility: the official npm @phala/dstack-sdk 0.5.8 — DstackClient, TappdClient and its viem and
// Solana helpers — as the client of a real vouchd (sim) over its real unix sockets. Values are checked,
// not just shapes: keys against `vouch key` and independent crypto (@noble), quotes with `vouch verify`
// under the simulator's root, signatures both ways, sign-only paths refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import { createHash, X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DstackClient, TappdClient } from '@phala/dstack-sdk';
import { toViemAccount, toViemAccountSecure } from '@phala/dstack-sdk/viem';
import { toKeypair } from '@phala/dstack-sdk/solana';
import { secp256k1 } from '@noble/curves/secp256k1';
import { ed25519 } from '@noble/curves/ed25519';
import { keccak_256 } from '@noble/hashes/sha3';
import { verifyMessage } from 'viem';

const here = path.dirname(new URL(import.meta.url).pathname);
const build = path.join(here, '..', '..', 'build', 'bin');
const VOUCHD = process.env.VOUCHD_BIN || path.join(build, 'vouchd');
const VOUCH = process.env.VOUCH_BIN || path.join(build, 'vouch');

let dir, daemon, dstack, tappd, state, run;

function vouch(...args) {
  return execFileSync(VOUCH, args, { encoding: 'utf8' });
}

function vouchJson(...args) {
  try {
    return JSON.parse(vouch(...args, '--json'));
  } catch (e) {
    if (e.stdout) return JSON.parse(e.stdout);
    throw e;
  }
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'vouch-sdk-'));
  state = path.join(dir, 'state');
  run = path.join(dir, 'run');
  daemon = spawn(VOUCHD, ['--tee', 'sim', '--state-dir', state, '--listen-dir', run, '--sign-only', 'wallet/', '-q'],
    { stdio: ['ignore', 'inherit', 'inherit'] });
  for (let i = 0; i < 100 && !existsSync(path.join(run, 'tappd.sock')); i++)
    await new Promise((r) => setTimeout(r, 50));
  dstack = new DstackClient(path.join(run, 'dstack.sock'));
  tappd = new TappdClient(path.join(run, 'tappd.sock'));
});

after(async () => {
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon.on('exit', r));
  assert.ok(!existsSync(path.join(run, 'dstack.sock')), 'vouchd removes its sockets on SIGTERM');
  rmSync(dir, { recursive: true });
});

const hex = (u8) => Buffer.from(u8).toString('hex');

// A plain HTTP request over the socket, to see vouchd's status and error for what the SDK checks client-side
function raw(method, body, sock = 'dstack.sock') {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: path.join(run, sock), path: `/${method}`, method: 'POST',
      headers: { 'Content-Type': 'application/json' } }, (res) => {
      let data = '';
      res.on('data', (c) => { data += c; });
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(data) }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

// link0 recovers the app root over keccak256(purpose ":" hex(pub)) (dstack §8.4)
function chainRoot(link0, purpose, pubHex) {
  const digest = keccak_256(new TextEncoder().encode(`${purpose}:${pubHex}`));
  const sig = secp256k1.Signature.fromCompact(hex(link0.slice(0, 64))).addRecoveryBit(link0[64]);
  return sig.recoverPublicKey(digest).toHex(true);
}

test('getKey: a secp256k1 key whose chain recovers the app root, equal to vouch key', async () => {
  const k = await dstack.getKey('app/one', 'test');
  assert.equal(k.key.length, 32);
  assert.equal(k.signature_chain.length, 2);
  const pub = hex(secp256k1.getPublicKey(k.key, true));
  const root = chainRoot(k.signature_chain[0], 'test', pub);
  const cli = vouchJson('key', 'app/one', '--purpose', 'test', '--listen-dir', run);
  assert.equal(cli.public_key, pub);
  assert.equal(cli.app_root_public_key, root);
  assert.equal(k.signature_chain[1].length, 0, 'no KMS: link1 is empty');
  // the same path gives the same key; another path another
  assert.equal(hex((await dstack.getKey('app/one', 'other')).key), hex(k.key));
  assert.notEqual(hex((await dstack.getKey('app/two')).key), hex(k.key));
});

test('getKey ed25519: the same 32 bytes (dstack derives by path only), chain over the ed25519 key', async () => {
  const s = await dstack.getKey('app/one', 'test', 'secp256k1');
  const e = await dstack.getKey('app/one', 'test', 'ed25519');
  assert.equal(hex(e.key), hex(s.key));
  const pub = hex(ed25519.getPublicKey(e.key));
  const root = chainRoot(e.signature_chain[0], 'test', pub);
  assert.equal(root, vouchJson('key', 'x', '--listen-dir', run).app_root_public_key);
  await assert.rejects(dstack.getKey('app/one', 'test', 'rsa'));
});

test('viem: the account of getKey is the Ethereum address vouch key reports', async () => {
  const k = await dstack.getKey('agent/eth', 'signing');
  const account = toViemAccount(k);
  assert.equal(toViemAccountSecure(k).address, account.address);
  assert.equal(account.address, vouchJson('key', 'agent/eth', '--listen-dir', run).address);
  const signature = await account.signMessage({ message: 'hello from vouchd' });
  assert.ok(await verifyMessage({ address: account.address, message: 'hello from vouchd', signature }));
});

test('Solana: the keypair of getKey is the address vouch key reports for ed25519', async () => {
  const k = await dstack.getKey('agent/sol', 'signing', 'ed25519');
  const kp = toKeypair(k);
  assert.equal(kp.publicKey.toBase58(), vouchJson('key', 'agent/sol', '--algorithm', 'ed25519', '--listen-dir', run).address);
});

test('sign-only paths: getKey and deriveKey are refused, the key is still usable through vouch key', async () => {
  await assert.rejects(dstack.getKey('wallet/treasury')); // the SDK fails on the missing key
  const d = await tappd.deriveKey('wallet/treasury', 'x'); // this one returns the error object (ignores status)
  assert.match(d.error, /sign-only/);
  assert.equal(d.key, undefined);
  const r = await raw('GetKey', { path: 'wallet/treasury' });
  assert.equal(r.status, 400);
  assert.match(r.body.error, /wallet\/treasury" is sign-only/);
  const cli = vouchJson('key', 'wallet/treasury', '--listen-dir', run);
  assert.match(cli.address, /^0x[0-9a-fA-F]{40}$/);
  // vouchd's own keys (vouch/…, the journals') are neither exported nor usable by clients, in any form
  for (const [method, body] of [['GetKey', { path: 'vouch/journal/default', purpose: 'journal' }],
    ['Sign', { algorithm: 'secp256k1_prehashed', data: '00'.repeat(32), path: 'vouch/journal/default', purpose: 'journal' }],
    ['Sign', { algorithm: 'secp256k1', data: '00', path: 'vouch/x' }]]) {
    const res = await raw(method, body);
    assert.equal(res.status, 400, `${method} on a vouch/ path`);
  }
  assert.match((await tappd.deriveKey('vouch/journal/default', 'x')).error, /sign-only/);
});

// verifies a GetQuote/Attest response under the simulated root of the vouchd whose state is in st
function verifyQuoteJson(response, st = state) {
  const file = path.join(dir, `q-${Math.random()}.json`);
  writeFileSync(file, JSON.stringify(response));
  const coll = path.join(dir, `coll-${Math.random()}.json`);
  writeFileSync(coll, vouch('sim', 'collateral', '--state-dir', st));
  return vouchJson('verify', '--attestation', file, '--collateral', coll, '--root', path.join(st, 'sim-root.der'));
}

test('getQuote: a real-format TDX quote carrying the report data, verified by vouch under the sim root', async () => {
  const rd = Buffer.from('vouch compat report data');
  const q = await dstack.getQuote(rd);
  assert.match(q.quote, /^[0-9a-f]+$/);
  assert.equal(q.report_data.slice(0, rd.length * 2), rd.toString('hex'));
  const v = verifyQuoteJson(q);
  assert.equal(v.is_valid, true, v.reason);
  assert.equal(v.details.vouch.simulated, true);
  assert.equal(v.details.report_data.slice(0, rd.length * 2), rd.toString('hex'));
  // the SDK's own replay of the event log gives the quote's RTMRs
  const rtmrs = q.replayRtmrs();
  assert.deepEqual(rtmrs, v.details.vouch.rtmr.map((r) => r.quote));
  await assert.rejects(dstack.getQuote(Buffer.alloc(65)));
});

test('attest: the V0 attestation verifies, RTMRs replayed', async () => {
  const a = await dstack.attest(Buffer.from('attest me'));
  const v = verifyQuoteJson({ attestation: a.attestation });
  assert.equal(v.is_valid, true, v.reason);
  assert.equal(v.details.event_log_verified, true);
});

test('emitEvent: extends RTMR3, and the next quote replays with the event in its log', async () => {
  await dstack.emitEvent('app-compat', Buffer.from('payload-1'));
  const q = await dstack.getQuote(Buffer.from('after event'));
  const log = JSON.parse(q.event_log);
  const last = log[log.length - 1];
  assert.equal(last.event, 'app-compat');
  assert.equal(last.event_payload, Buffer.from('payload-1').toString('hex'));
  const v = verifyQuoteJson(q);
  assert.equal(v.is_valid, true, v.reason);
  await assert.rejects(dstack.emitEvent('', 'x'));
  // names verifiers read identity and journal keys from are not the app's to emit (the SDK does not surface
  // an error answer to emitEvent: the log shows that nothing was added)
  await dstack.emitEvent('compose-hash', Buffer.from('forged'));
  await dstack.emitEvent('vouch-journal', Buffer.from('forged'));
  const after = JSON.parse((await dstack.getQuote(Buffer.from('x'))).event_log);
  assert.equal(after.filter((e) => e.event === 'compose-hash').length, 1);
  assert.equal(after.filter((e) => e.event_payload === Buffer.from('forged').toString('hex')).length, 0);
});

test('info: identity consistent with the compose file and the quote', async () => {
  const i = await dstack.info();
  const compose = readFileSync(path.join(state, 'app-compose.json'));
  const composeHash = createHash('sha256').update(compose).digest('hex');
  assert.equal(i.compose_hash, composeHash);
  assert.equal(i.app_id, composeHash.slice(0, 40));
  assert.equal(i.instance_id.length, 40);
  assert.equal(i.tcb_info.compose_hash, composeHash);
  for (const r of ['mrtd', 'rtmr0', 'rtmr1', 'rtmr2', 'rtmr3']) assert.equal(i.tcb_info[r].length, 96);
  assert.equal(i.device_id.length, 64);
  assert.ok(Array.isArray(i.tcb_info.event_log) && i.tcb_info.event_log.length > 7);
  assert.equal(i.tcb_info.app_compose, compose.toString());
  assert.equal(JSON.parse(i.key_provider_info).name, 'none');
  assert.equal(typeof i.cloud_vendor, 'string');
  assert.equal(await dstack.isReachable(), true);
  const v = await dstack.version();
  assert.match(v.version, /^0\.5\./);
});

test('sign and verify: every algorithm, both ways, with independent crypto', async () => {
  const data = Buffer.from('sign me');
  for (const alg of ['secp256k1', 'k256', 'ed25519']) {
    const s = await dstack.sign(alg, data);
    assert.equal(s.signature_chain.length, 3);
    assert.equal((await dstack.verify(alg, data, s.signature, s.public_key)).valid, true);
    assert.equal((await dstack.verify(alg, Buffer.from('sign mE'), s.signature, s.public_key)).valid, false);
    if (alg === 'ed25519') {
      assert.ok(ed25519.verify(s.signature, data, s.public_key));
    } else {
      const digest = createHash('sha256').update(data).digest();
      assert.ok(secp256k1.verify(s.signature, digest, s.public_key, { lowS: true }));
    }
  }
  const digest = createHash('sha256').update('prehashed').digest();
  const p = await dstack.sign('secp256k1_prehashed', digest);
  assert.ok(secp256k1.verify(p.signature, digest, p.public_key));
  await assert.rejects(dstack.sign('secp256k1_prehashed', Buffer.alloc(31))); // refused by the SDK itself
  const short = await raw('Sign', { algorithm: 'secp256k1_prehashed', data: '00'.repeat(31) });
  assert.equal(short.status, 400);
  assert.equal(short.body.error, 'Pre-hashed signing requires a 32-byte digest, but received 31 bytes');
  assert.equal((await raw('Sign', { algorithm: 'rsa', data: '00' })).body.error, 'Unsupported algorithm');
  // and the other way: a signature made here, verified by vouchd
  const priv = secp256k1.utils.randomPrivateKey();
  const sig = secp256k1.sign(createHash('sha256').update(data).digest(), priv).toCompactRawBytes();
  assert.equal((await dstack.verify('secp256k1', data, sig, secp256k1.getPublicKey(priv, true))).valid, true);
  const bad = await raw('Verify', { algorithm: 'secp256k1', data: hex(data), signature: hex(sig), public_key: '00'.repeat(33) });
  assert.equal(bad.status, 400, 'a malformed key is an error, not valid:false');
});

test('getTlsKey: a fresh P-256 key each call, a certificate from the app CA with names and usages', async () => {
  const a = await dstack.getTlsKey({ subject: 'vouch.test', altNames: ['vouch.test', '127.0.0.1'], usageRaTls: true });
  const b = await dstack.getTlsKey({ subject: 'vouch.test' });
  assert.ok(a.key.startsWith('-----BEGIN PRIVATE KEY-----'));
  assert.notEqual(a.key, b.key);
  assert.equal(a.certificate_chain.length, 2);
  const leaf = new X509Certificate(a.certificate_chain[0]), ca = new X509Certificate(a.certificate_chain[1]);
  assert.ok(leaf.verify(ca.publicKey), 'signed by the app CA');
  assert.match(leaf.subject, /CN=vouch\.test/);
  assert.match(leaf.subjectAltName, /DNS:vouch\.test/);
  assert.match(leaf.subjectAltName, /IP Address:127\.0\.0\.1/);
  assert.equal(createPrivateKey(a.key).asymmetricKeyDetails.namedCurve, 'prime256v1');
  assert.ok(leaf.checkPrivateKey(createPrivateKey(a.key)));
  // the RA-TLS extension: an attestation bound to this certificate's key, verified end to end
  const leafFile = path.join(dir, 'leaf.pem');
  writeFileSync(leafFile, a.certificate_chain[0]);
  const coll = path.join(dir, 'coll.json');
  writeFileSync(coll, vouch('sim', 'collateral', '--state-dir', state));
  const v = vouchJson('verify', '--ratls', leafFile, '--collateral', coll, '--root', path.join(state, 'sim-root.der'));
  assert.equal(v.is_valid, true, v.reason);
  writeFileSync(leafFile, b.certificate_chain[0]); // asked without usage_ra_tls: no attestation in it
  assert.throws(() => vouch('verify', '--ratls', leafFile, '--collateral', coll, '--root', path.join(state, 'sim-root.der')));
  // usable as a viem account source, as the SDK's helpers do
  assert.match(toViemAccount(a).address, /^0x/);
  // a leaf, not a CA; server auth by default; the usages and validity asked for
  assert.equal(leaf.ca, false);
  assert.equal(ca.ca, true);
  assert.deepEqual(leaf.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  const c = await dstack.getTlsKey({ subject: 'client', usageServerAuth: false, usageClientAuth: true,
    notBefore: 1700000000, notAfter: 1800000000 });
  const cl = new X509Certificate(c.certificate_chain[0]);
  assert.deepEqual(cl.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  assert.equal(new Date(cl.validFrom).getTime() / 1000, 1700000000);
  assert.equal(new Date(cl.validTo).getTime() / 1000, 1800000000);
  assert.equal(cl.issuer, leaf.issuer, 'the same app CA signs every TLS key');
  const bad = await dstack.getTlsKey({ subject: 'x', notBefore: 20, notAfter: 10 });
  assert.equal(bad.error, 'not_before must be earlier than not_after');
});

test('TappdClient: deriveKey is deterministic per path; tdxQuote hashes as dstack does', async () => {
  const a = await tappd.deriveKey('tls/path', 'svc');
  const b = await tappd.deriveKey('tls/path', 'other-subject');
  const keyBytes = (r) => createPrivateKey(r.key).export({ format: 'jwk' }).d;
  assert.equal(keyBytes(a), keyBytes(b));
  assert.notEqual(keyBytes(a), keyBytes(await tappd.deriveKey('tls/other')));
  const content = Buffer.from('tappd content');
  for (const [alg, h] of [['sha256', 'sha256'], ['sha512', 'sha512']]) {
    const q = await tappd.tdxQuote(content, alg);
    const expected = createHash(h).update(Buffer.concat([Buffer.from('app-data:'), content])).digest('hex').padEnd(128, '0');
    const v = verifyQuoteJson({ quote: q.quote, event_log: q.event_log });
    assert.equal(v.is_valid, true, v.reason);
    assert.equal(v.details.report_data, expected);
  }
  const exact = Buffer.alloc(64, 7);
  const r = await tappd.tdxQuote(exact, 'raw');
  assert.equal(verifyQuoteJson({ quote: r.quote, event_log: r.event_log }).details.report_data, exact.toString('hex'));
  assert.equal(await tappd.isReachable(), true); // /prpc/Tappd.Info
  const info = await raw('prpc/Tappd.Info', {}, 'tappd.sock');
  assert.equal(info.body.app_id.length, 40);
  // tappd.sock answers only /prpc/ paths (the SDK's inherited /Info fails against dstack's tappd too)
  assert.equal((await raw('Info', {}, 'tappd.sock')).status, 404);
});

test("dstack's simulator files: --app-keys, --compose, --sys-config give the spec's identity and key vector", async () => {
  const fx = path.join(here, '..', 'vectors', 'dstack-simulator');
  const fdir = mkdtempSync(path.join(tmpdir(), 'vouch-fixture-'));
  const frun = path.join(fdir, 'run');
  const d = spawn(VOUCHD, ['--tee', 'sim', '--state-dir', path.join(fdir, 'state'), '--listen-dir', frun, '-q',
    '--app-keys', path.join(fx, 'appkeys.json'), '--compose', path.join(fx, 'app-compose.json'),
    '--sys-config', path.join(fx, 'sys-config.json')], { stdio: ['ignore', 'inherit', 'inherit'] });
  try {
    for (let i = 0; i < 100 && !existsSync(path.join(frun, 'dstack.sock')); i++)
      await new Promise((r) => setTimeout(r, 50));
    const c = new DstackClient(path.join(frun, 'dstack.sock'));
    const keys = JSON.parse(readFileSync(path.join(fx, 'appkeys.json'), 'utf8'));
    // identity: no KMS, so the compose hash is the file's SHA-256 and the app id its first 20 bytes
    const i = await c.info();
    assert.equal(i.compose_hash, '65b4e574f16973956908b6359920593c3b7d9f36f38e81a47f996a0c0d5435bb');
    assert.equal(i.app_id, i.compose_hash.slice(0, 40));
    const sys = JSON.parse(readFileSync(path.join(fx, 'sys-config.json'), 'utf8'));
    assert.equal(i.vm_config, sys.vm_config);
    // the spec's GetKey vector (§8.8), on the fixture's k256_key; link1 is the fixture's signature
    const k = await c.getKey('/', 'test');
    assert.equal(hex(k.key), 'f6c1ed94488394d78e0a4e5ab75d62e9f085d73b0b555d0614fb90ca13d9464d');
    assert.equal(hex(k.signature_chain[0]), '0b0fa470162c54f108850d143442c48d43f1cc42983b8e9c589679345b831d2b5bb5b97b21c2d2d036520209deae8b6111318c68eafc786190d6edc52e5cf0c201');
    assert.equal(hex(k.signature_chain[1]), keys.k256_signature);
    // TLS keys are signed by the fixture's CA
    const t = await c.getTlsKey({ subject: 'fixture' });
    const ca = new X509Certificate(keys.ca_cert);
    assert.ok(new X509Certificate(t.certificate_chain[0]).verify(ca.publicKey));
    // the runtime events name this identity and replay to RTMR3 of the quote
    const q = await c.getQuote(Buffer.from('fixture'));
    const v = verifyQuoteJson(q, path.join(fdir, 'state'));
    assert.equal(v.is_valid, true, v.reason);
    assert.equal(v.details.app_info.compose_hash, i.compose_hash);
    assert.equal(v.details.app_info.app_id, i.app_id);
  } finally {
    d.kill('SIGTERM');
    await new Promise((r) => d.on('exit', r));
    rmSync(fdir, { recursive: true });
  }
});
