// The journal checked with npm libraries only, not vouch's code: vouchd (sim) over its real socket gives
// entries, a signed checkpoint, inclusion and consistency proofs and the key's attestation; this test rebuilds
// each from the documented formats with @noble/hashes and @noble/curves (and viem's ecrecover, as a
// contract would check the checkpoint) and verifies RFC 9162 proofs with its own few lines.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sha256, sha384 } from '@noble/hashes/sha2';
import { keccak_256 } from '@noble/hashes/sha3';
import { secp256k1 } from '@noble/curves/secp256k1';
import { recoverAddress, publicKeyToAddress } from 'viem/utils';

const here = path.dirname(new URL(import.meta.url).pathname);
const VOUCHD = process.env.VOUCHD_BIN || path.join(here, '..', '..', 'build', 'bin', 'vouchd');
let dir, daemon, sock;

const hex = (u8) => Buffer.from(u8).toString('hex');
const unhex = (s) => new Uint8Array(Buffer.from(s, 'hex'));
const cat = (...parts) => new Uint8Array(Buffer.concat(parts.map((p) => Buffer.from(p))));
const be64 = (n) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt.asUintN(64, BigInt(n))); return b; };
const lp = (b) => { const l = Buffer.alloc(4); l.writeUInt32BE(b.length); return cat(l, b); };
const tag = (s, nul) => cat(Buffer.from(s), nul ? [0] : []);

function call(method, body) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request({ socketPath: sock, path: `/${method}`, method: 'POST' }, (res) => {
      let t = '';
      res.on('data', (c) => { t += c; });
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(t)) : reject(new Error(t))));
    });
    req.on('error', reject);
    req.end(data);
  });
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'vouch-jnoble-'));
  const run = path.join(dir, 'run');
  sock = path.join(run, 'dstack.sock');
  daemon = spawn(VOUCHD, ['--tee', 'sim', '--state-dir', path.join(dir, 'state'), '--listen-dir', run, '-q'],
    { stdio: ['ignore', 'inherit', 'inherit'] });
  for (let i = 0; i < 200 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 25));
});

after(async () => {
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon.on('exit', r));
  rmSync(dir, { recursive: true });
});

// RFC 9162 §2.1.3.2 and §2.1.4.2, written here from the RFC's text
const node = (l, r) => sha256(cat([1], l, r));
function verifyInclusion(leaf, m, n, path, root) {
  if (m >= n) return false;
  let fn = m, sn = n - 1, r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = node(p, r);
      if (fn % 2 === 0) while (fn !== 0 && fn % 2 === 0) { fn >>= 1; sn >>= 1; }
    } else r = node(r, p);
    fn >>= 1; sn >>= 1;
  }
  return sn === 0 && hex(r) === hex(root);
}
function verifyConsistency(m, n, root1, root2, path) {
  if (m === n) return path.length === 0 && hex(root1) === hex(root2);
  if (path.length === 0) return false;
  const pow2 = (m & (m - 1)) === 0;
  const p = pow2 ? [root1, ...path] : path;
  let fn = m - 1, sn = n - 1;
  while (fn % 2 === 1) { fn >>= 1; sn >>= 1; }
  let fr = p[0], sr = p[0];
  for (const c of p.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = node(c, fr); sr = node(c, sr);
      if (fn % 2 === 0) while (fn !== 0 && fn % 2 === 0) { fn >>= 1; sn >>= 1; }
    } else sr = node(sr, c);
    fn >>= 1; sn >>= 1;
  }
  return sn === 0 && hex(fr) === hex(root1) && hex(sr) === hex(root2);
}

function leafOf(e) {
  return cat(tag('vouch.journal.entry.v1', true), be64(e.seq), be64(e.time_ms), [e.client_time_ms === undefined ? 0 : 1],
    be64(e.client_time_ms ?? 0), lp(Buffer.from(e.kind)), [e.payload_type === 'json' ? 1 : 0], lp(unhex(e.payload_hex)));
}

test('entries, checkpoint signature, inclusion and consistency proofs, key binding: all with npm libraries', async () => {
  const first = [];
  for (let i = 0; i < 7; i++) first.push(await call('JournalAppend', { kind: 'post', payload: { i, text: `statement ${i}` } }));
  await call('JournalAppend', { kind: 'raw', payload_hex: 'deadbeef', client_time_ms: -1 });
  const cp1 = (await call('JournalCheckpoint', { now: true })).checkpoint;
  for (let i = 0; i < 5; i++) await call('JournalAppend', { kind: 'post', payload: `later ${i}` });
  const { journal, checkpoint: cp2 } = await call('JournalCheckpoint', { now: true });
  assert.equal(cp2.tree_size, cp1.tree_size + 5);

  // the journal id is SHA-256(tag ‖ key ‖ name)
  const pub = unhex(journal.public_key);
  assert.equal(hex(sha256(cat(tag('vouch.journal.id.v1', true), pub, Buffer.from(journal.name)))), journal.id);

  // the checkpoint: keccak256 of the packed message, signed by the journal key; ecrecover as a contract does
  for (const cp of [cp1, cp2]) {
    const digest = keccak_256(cat(Buffer.from('vouch.journal.checkpoint.v1'), unhex(cp.journal_id), be64(cp.tree_size),
      unhex(cp.root), be64(cp.time_ms)));
    const sig = unhex(cp.signature);
    assert.ok(sig[64] === 27 || sig[64] === 28);
    const rec = secp256k1.Signature.fromCompact(sig.slice(0, 64)).addRecoveryBit(sig[64] - 27).recoverPublicKey(digest);
    assert.equal(rec.toHex(true), journal.public_key);
    const addr = await recoverAddress({ hash: `0x${hex(digest)}`, signature: `0x${cp.signature}` });
    assert.equal(addr, publicKeyToAddress(`0x${secp256k1.ProjectivePoint.fromHex(pub).toHex(false)}`));
  }

  // every entry: its fields hash to its leaf, and its leaf is in the checkpoint's tree
  const { entries } = await call('JournalGet', { from: 0, count: 100 });
  assert.equal(entries.length, cp2.tree_size);
  for (const e of entries) {
    assert.equal(hex(sha256(cat([0], leafOf(e)))), e.leaf_hash, `entry ${e.seq} hashes to its leaf`);
    const p = await call('JournalProve', { seq: e.seq, tree_size: cp2.tree_size });
    assert.ok(verifyInclusion(unhex(e.leaf_hash), e.seq, cp2.tree_size, p.path.map(unhex), unhex(cp2.root)), `entry ${e.seq}`);
    // a neighbour's leaf does not verify at this index
    const other = entries[(e.seq + 1) % entries.length];
    assert.ok(!verifyInclusion(unhex(other.leaf_hash), e.seq, cp2.tree_size, p.path.map(unhex), unhex(cp2.root)));
  }
  assert.equal(entries[7].client_time_ms, -1);
  assert.deepEqual(entries[3].payload, { i: 3, text: 'statement 3' });
  assert.equal(first[3].leaf_hash, entries[3].leaf_hash);

  // the earlier checkpoint's tree is a prefix of the later one's
  const c = await call('JournalConsistency', { first: cp1.tree_size, second: cp2.tree_size });
  assert.ok(verifyConsistency(cp1.tree_size, cp2.tree_size, unhex(cp1.root), unhex(cp2.root), c.path.map(unhex)));
  assert.ok(!verifyConsistency(cp1.tree_size, cp2.tree_size, unhex(cp2.root), unhex(cp2.root), c.path.map(unhex)));

  // the key binding: the quote's report data is vouchd's own tag ‖ SHA-384(tag ‖ id ‖ key ‖ nonce)
  const nonce = '0123456789abcdef';
  const a = await call('JournalAttestation', { nonce });
  const own = cat(new Uint8Array([0xff]), new TextEncoder().encode('vouchd-own-rd/1'));
  const want = cat(own, sha384(cat(tag('vouch.journal.key.v2', true), unhex(journal.id), pub, unhex(nonce))));
  assert.equal(a.quote.slice(568 * 2, 632 * 2), hex(want));
  const created = JSON.parse(a.event_log).find((ev) => ev.event === 'vouch-journal');
  assert.equal(created.event_payload, journal.id + journal.public_key);
});
