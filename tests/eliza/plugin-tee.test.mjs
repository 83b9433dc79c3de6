// Eliza's TEE plugin (@elizaos/plugin-tee 1.0.2, which talks to tappd.sock through @phala/dstack-sdk 0.1.11) as
// the client of a real vouchd (sim), unchanged: TEE_MODE=PRODUCTION and DSTACK_SIMULATOR_ENDPOINT pointing at
// vouchd's tappd.sock, exactly as an agent in a dstack CVM would run it. The agent runtime is a two-field
// stand-in (getSetting, agentId): the plugin asks nothing else of it. Checked: the wallets it derives are
// deterministic per salt and equal an independent derivation from the raw Tappd.DeriveKey answer, the key is
// PKCS#8 in the byte layout dstack's Rust stack (ring) writes, and the attestation the plugin attaches to a
// wallet is a quote that `vouch verify` accepts, over sha512("app-data:" || the JSON the plugin built).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { keccak_256 } from '@noble/hashes/sha3';
import { secp256k1 } from '@noble/curves/secp256k1';
import { ed25519 } from '@noble/curves/ed25519';

const here = path.dirname(new URL(import.meta.url).pathname);
const build = path.join(here, '..', '..', 'build', 'bin');
const VOUCHD = process.env.VOUCHD_BIN || path.join(build, 'vouchd');
const VOUCH = process.env.VOUCH_BIN || path.join(build, 'vouch');

let dir, state, run, daemon, plugin, runtime;
const settings = { TEE_MODE: 'PRODUCTION', WALLET_SECRET_SALT: 'eliza-test-salt' };

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'vouch-eliza-'));
  state = path.join(dir, 'state');
  run = path.join(dir, 'run');
  daemon = spawn(VOUCHD, ['--tee', 'sim', '--state-dir', state, '--listen-dir', run, '-q'],
    { stdio: ['ignore', 'inherit', 'inherit'] });
  for (let i = 0; i < 100 && !existsSync(path.join(run, 'tappd.sock')); i++)
    await new Promise((r) => setTimeout(r, 50));
  process.env.DSTACK_SIMULATOR_ENDPOINT = path.join(run, 'tappd.sock');
  plugin = (await import('@elizaos/plugin-tee')).default;
  runtime = { agentId: '00000000-0000-4000-8000-000000000001', getSetting: (k) => settings[k] };
});

after(async () => {
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon.on('exit', r));
  rmSync(dir, { recursive: true });
});

// Tappd.DeriveKey over the socket, by hand: the independent side of the comparison
function deriveKey(p, subject) {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ path: p, subject });
    const c = net.createConnection({ path: path.join(run, 'tappd.sock') }, () =>
      c.end(`POST /prpc/Tappd.DeriveKey HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body}`));
    let data = '';
    c.on('data', (d) => { data += d; });
    c.on('end', () => resolve(JSON.parse(data.slice(data.indexOf('\r\n\r\n') + 4))));
    c.on('error', reject);
  });
}
const der = (pem) => Buffer.from(pem.replace(/-----[A-Z ]+-----|\n/g, ''), 'base64');

function verifyQuote(quoteHex) {
  const q = path.join(dir, `q-${Math.random()}.hex`), coll = path.join(dir, 'coll.json');
  writeFileSync(q, quoteHex);
  writeFileSync(coll, execFileSync(VOUCH, ['sim', 'collateral', '--state-dir', state]));
  return JSON.parse(execFileSync(VOUCH, ['verify', q, '--collateral', coll, '--root', path.join(state, 'sim-root.der'),
    '--json'], { encoding: 'utf8' }));
}

test('TEEService: the EVM wallet is keccak256 of the derived key, deterministic, and attested', async () => {
  const TEEService = plugin.services[0];
  const svc = await TEEService.start(runtime);
  const a = await svc.deriveEcdsaKeypair('salt-1', 'evm', runtime.agentId);
  const b = await svc.deriveEcdsaKeypair('salt-1', 'evm', runtime.agentId);
  const c = await svc.deriveEcdsaKeypair('salt-2', 'evm', runtime.agentId);
  assert.equal(a.keypair.address, b.keypair.address);
  assert.notEqual(a.keypair.address, c.keypair.address);

  // independently: the raw key's PKCS#8 bytes, in ring's layout, hashed as the plugin does
  const raw = der((await deriveKey('salt-1', 'evm')).key);
  assert.equal(raw.length, 138);
  assert.equal(raw.subarray(0, 36).toString('hex'),
    '308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420');
  assert.equal(raw.subarray(68, 73).toString('hex'), 'a144034200');
  const pub = secp256k1.getPublicKey(keccak_256(raw), false);
  const expected = `0x${Buffer.from(keccak_256(pub.subarray(1))).subarray(12).toString('hex')}`;
  assert.equal(a.keypair.address.toLowerCase(), expected);

  // the attestation binds this wallet to the TD: a verifiable quote over the plugin's JSON
  const v = verifyQuote(a.attestation.quote);
  assert.equal(v.ok, true, v.error);
  assert.equal(v.simulated, true);
  const json = JSON.stringify({ agentId: runtime.agentId, publicKey: a.keypair.address });
  const rd = createHash('sha512').update(Buffer.concat([Buffer.from('app-data:'), Buffer.from(json)])).digest('hex');
  assert.equal(v.report_data, rd);
});

test('TEEService: the Solana wallet is the seed sha256(derived key)', async () => {
  const svc = await plugin.services[0].start(runtime);
  const s = await svc.deriveEd25519Keypair('salt-1', 'solana', runtime.agentId);
  const seed = createHash('sha256').update(der((await deriveKey('salt-1', 'solana')).key)).digest();
  assert.deepEqual(Buffer.from(s.keypair.publicKey.toBytes()), Buffer.from(ed25519.getPublicKey(seed)));
  assert.equal(verifyQuote(s.attestation.quote).ok, true);
});

test('the derive-key provider reports both wallets for the configured salt', async () => {
  const p = plugin.providers.find((x) => x.name === 'phala-derive-key');
  const r = await p.get(runtime, { entityId: 'e', roomId: 'r', content: { text: 'hi' } });
  assert.match(r.values.evm_address, /^0x[0-9a-fA-F]{40}$/);
  const svc = await plugin.services[0].start(runtime);
  const evm = await svc.deriveEcdsaKeypair(settings.WALLET_SECRET_SALT, 'evm', runtime.agentId);
  assert.equal(r.values.evm_address, evm.keypair.address);
  assert.ok(r.text.includes(r.values.solana_public_key));
});

test('the remote-attestation provider attests a message with a verifiable quote', async () => {
  const p = plugin.providers.find((x) => x.name === 'phala-remote-attestation');
  const r = await p.get(runtime, { entityId: 'e', roomId: 'r', content: { text: 'signed by the model' } });
  assert.match(r.values.quote, /^[0-9a-f]{1000,}$/);
  assert.ok(r.text.includes(r.values.quote));
  assert.equal(verifyQuote(r.values.quote).ok, true);
});
