// The attack (issue 9, item 3): any client of dstack.sock signs with another component's keys and writes into
// its journal — Sign {"path": "gateway/ecdsa"} answered with the gateway's attested signature, JournalAppend
// {"journal": "gateway"} accepted. vouchd's principals (--config "principals") give keys and journals owners:
// here the gateway is a principal by its own socket (gateway.sock), and "agent" by its uid on the shared
// sockets (this process's uid); a third client, running as another uid, is nobody. Also: Access, the
// gateway's refusal to start without owning its keys and journal, and the config parser's refusals.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { start, stopAll } from '../procs.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const bin = path.join(here, '..', '..', 'build', 'bin');
const VOUCHD = process.env.VOUCHD_BIN || path.join(bin, 'vouchd');
const GATEWAY = process.env.GATEWAY_BIN || path.join(bin, 'vouch-gateway');
const NOBODY = 65534;
const ROOT = process.getuid() === 0;

let dir, run, dstack, gwSock, tappd;

// POST (or GET with a query) over a unix socket: { status, body (parsed JSON) }
function call(socketPath, method, body = {}, get = false) {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const q = get ? `?${new URLSearchParams(body)}` : '';
    const req = http.request({ socketPath, path: `/${method}${q}`, method: get ? 'GET' : 'POST',
      headers: get ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) } }, (res) => {
      let t = '';
      res.on('data', (d) => { t += d; });
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(t) }));
    });
    req.on('error', reject);
    req.end(get ? undefined : text);
  });
}

function config(name, obj) {
  const f = path.join(dir, name);
  writeFileSync(f, JSON.stringify(obj));
  return f;
}

const GATEWAY_PRINCIPAL = { name: 'gateway', socket: 'gateway.sock', keys: ['gateway/'], journals: ['gateway'] };

async function vouchd(name, principals, extra = []) {
  const r = path.join(dir, `run-${name}`);
  const args = ['--tee', 'sim', '--state-dir', path.join(dir, `state-${name}`), '--listen-dir', r, ...extra, '-q'];
  if (principals) args.push('--config', config(`${name}.json`, { principals }));
  await start(VOUCHD, args, () => existsSync(path.join(r, 'dstack.sock')));
  return r;
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'vouch-principals-'));
  chmodSync(dir, 0o755); // another uid reaches dstack.sock through it
  // dstack.sock open to every uid (0666), as a CVM's containers see it
  run = await vouchd('main', [GATEWAY_PRINCIPAL,
    { name: 'agent', uid: process.getuid(), gid: process.getgid(), keys: ['agent/'], journals: ['agent'], export: true }],
  ['--socket-mode', '0666']);
  dstack = path.join(run, 'dstack.sock');
  tappd = path.join(run, 'tappd.sock');
  gwSock = path.join(run, 'gateway.sock');
});

after(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

const owner = (p) => new RegExp(`key owner: key path "${p.replace(/[/\\]/g, '\\$&')}" belongs to principal gateway; this client \\(uid ${process.getuid()}, .*\\) is principal agent`);

test('an attacker on dstack.sock cannot Sign with gateway/ecdsa or gateway/ed25519, by any spelling under gateway/', async () => {
  for (const [p, algorithm] of [['gateway/ecdsa', 'secp256k1'], ['gateway/ecdsa', 'secp256k1_prehashed'],
    ['gateway/ed25519', 'ed25519'], ['gateway//ecdsa', 'secp256k1'], ['gateway/ecdsa/', 'ed25519']]) {
    const data = algorithm === 'secp256k1_prehashed' ? '00'.repeat(32) : '68656c6c6f';
    const r = await call(dstack, 'Sign', { algorithm, data, path: p });
    assert.equal(r.status, 400, `Sign ${p} ${algorithm}: ${JSON.stringify(r.body)}`);
    assert.match(r.body.error, owner(p));
  }
  // a NUL in a path never reaches a key: the request decoder refuses \u0000
  const nul = await call(dstack, 'Sign', { algorithm: 'ed25519', data: '00', path: 'gateway/ed25519\u0000' });
  assert.equal(nul.status, 400);
  const viaGet = await call(dstack, 'Sign', { algorithm: 'ed25519', data: '00', path: 'gateway/ed25519' }, true);
  assert.equal(viaGet.status, 400);
  assert.match(viaGet.body.error, owner('gateway/ed25519'));
});

test('nor GetKey them, nor derive them on tappd.sock (DeriveK256Key, DeriveKey)', async () => {
  for (const [p, algorithm] of [['gateway/ecdsa', 'secp256k1'], ['gateway/ed25519', 'ed25519']]) {
    const r = await call(dstack, 'GetKey', { path: p, algorithm });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.match(r.body.error, owner(p));
  }
  for (const m of ['prpc/Tappd.DeriveK256Key', 'prpc/Tappd.DeriveKey']) {
    const r = await call(tappd, m, { path: 'gateway/ecdsa' });
    assert.equal(r.status, 400, `${m}: ${JSON.stringify(r.body)}`);
    assert.match(r.body.error, owner('gateway/ecdsa'));
  }
});

test('nor JournalAppend to the gateway\'s journal; its reads stay public', async () => {
  const r = await call(dstack, 'JournalAppend', { journal: 'gateway', kind: 'receipt', payload: { forged: true } });
  assert.equal(r.status, 400, JSON.stringify(r.body));
  assert.match(r.body.error, /journal owner: journal "gateway" belongs to principal gateway; this client .* is principal agent/);
  const mine = await call(gwSock, 'JournalAppend', { journal: 'gateway', kind: 'receipt', payload: { real: true } });
  assert.equal(mine.status, 200, JSON.stringify(mine.body));
  const read = await call(dstack, 'JournalGet', { journal: 'gateway', seq: mine.body.seq });
  assert.equal(read.status, 200);
  assert.deepEqual(read.body.entries[0].payload, { real: true });
  // an unowned journal stays open to every client (dstack compatibility)
  assert.equal((await call(dstack, 'JournalAppend', { kind: 'note', payload: 1 })).status, 200);
});

test('the gateway principal, on its own socket, signs with its keys (sign-only: never exported, even to it)', async () => {
  const e = await call(gwSock, 'Sign', { algorithm: 'secp256k1', data: '68656c6c6f', path: 'gateway/ecdsa' });
  const d = await call(gwSock, 'Sign', { algorithm: 'ed25519', data: '68656c6c6f', path: 'gateway/ed25519' });
  assert.equal(e.status, 200, JSON.stringify(e.body));
  assert.equal(d.status, 200, JSON.stringify(d.body));
  assert.equal(d.body.public_key.length, 64);
  const k = await call(gwSock, 'GetKey', { path: 'gateway/ecdsa' });
  assert.equal(k.status, 400);
  assert.match(k.body.error, /is sign-only/);
});

test('an owner with "export": true gets its own key; unowned keys stay open to every client', async () => {
  const k = await call(dstack, 'GetKey', { path: 'agent/eth' });
  assert.equal(k.status, 200, JSON.stringify(k.body));
  assert.match(k.body.key, /^[0-9a-f]{64}$/);
  const open = await call(gwSock, 'GetKey', { path: 'anyone/x' });
  assert.equal(open.status, 200);
  const agentKey = await call(gwSock, 'Sign', { algorithm: 'ed25519', data: '00', path: 'agent/eth' });
  assert.equal(agentKey.status, 400);
  assert.match(agentKey.body.error, /belongs to principal agent; this client .* is principal gateway, by its socket/);
});

test('Access: the caller, and for each key path and journal, its owners', async () => {
  const q = { paths: ['gateway/ecdsa', 'agent/eth', 'anyone/x'], journals: ['gateway', ''] };
  const a = (await call(dstack, 'Access', q)).body;
  assert.equal(a.principal, 'agent');
  assert.equal(a.peer.uid, process.getuid());
  assert.equal(a.peer.pid > 0, true);
  assert.equal(a.socket, 'dstack.sock');
  assert.deepEqual(a.paths[0], { path: 'gateway/ecdsa', sign_only: true, owners: ['gateway'], mine: false, exclusive: true, usable: false });
  assert.deepEqual(a.paths[1], { path: 'agent/eth', sign_only: false, owners: ['agent'], mine: true, exclusive: true, usable: true });
  assert.deepEqual(a.paths[2], { path: 'anyone/x', sign_only: false, owners: [], mine: false, exclusive: false, usable: true });
  assert.deepEqual(a.journals[1], { journal: 'default', owners: [], mine: false, exclusive: false, usable: true });
  const g = (await call(gwSock, 'Access', q)).body;
  assert.equal(g.principal, 'gateway');
  assert.equal(g.socket, 'gateway.sock');
  assert.deepEqual(g.paths[0], { path: 'gateway/ecdsa', sign_only: true, owners: ['gateway'], mine: true, exclusive: true, usable: true });
  assert.deepEqual(g.journals[0], { journal: 'gateway', owners: ['gateway'], mine: true, exclusive: true, usable: true });
  for (const bad of [{ paths: 'gateway/' }, { paths: [1] }, { journals: Array(65).fill('x') }]) {
    const r = await call(dstack, 'Access', bad);
    assert.equal(r.status, 400, JSON.stringify(bad));
    assert.match(r.body.error, /^Failed to decode request: (paths|journals)/);
  }
});

// A client running as uid 65534: on dstack.sock it is no principal (the agent is this process's uid), and it
// cannot open the gateway's socket (0600).
const ATTACKER = `
const http = require('node:http');
const call = (socketPath, m, body) => new Promise((resolve) => {
  const req = http.request({ socketPath, path: '/' + m, method: 'POST' }, (res) => {
    let t = ''; res.on('data', (d) => { t += d; }); res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(t) }));
  });
  req.on('error', (e) => resolve({ error: e.code }));
  req.end(JSON.stringify(body));
});
(async () => {
  const [dstack, gw] = process.argv.slice(1);
  const out = {
    agent: await call(dstack, 'Sign', { algorithm: 'ed25519', data: '00', path: 'agent/eth' }),
    gateway: await call(dstack, 'Sign', { algorithm: 'ed25519', data: '00', path: 'gateway/ed25519' }),
    journal: await call(dstack, 'JournalAppend', { journal: 'agent', kind: 'x', payload: 1 }),
    open: await call(dstack, 'Sign', { algorithm: 'ed25519', data: '00', path: 'anyone/x' }),
    access: await call(dstack, 'Access', {}),
    gwSocket: await call(gw, 'Version', {}),
  };
  process.stdout.write(JSON.stringify(out));
})();`;

test('uid principals: a client running as another uid is not the principal', { skip: !ROOT && 'needs root to run a client as uid 65534' }, async () => {
  const out = await new Promise((resolve, reject) => execFile(process.execPath, ['-e', ATTACKER, dstack, gwSock],
    { uid: NOBODY, gid: NOBODY, cwd: '/' }, (e, stdout, stderr) => (e ? reject(new Error(`${e.message} ${stderr}`)) : resolve(JSON.parse(stdout)))));
  assert.equal(out.agent.status, 400);
  assert.match(out.agent.body.error, /key path "agent\/eth" belongs to principal agent; this client \(uid 65534, gid 65534, pid \d+\) is no principal/);
  assert.equal(out.gateway.status, 400);
  assert.match(out.journal.body.error, /journal "agent" belongs to principal agent; this client \(uid 65534/);
  assert.equal(out.open.status, 200, 'an unowned key stays open');
  assert.equal(out.access.body.principal, null);
  assert.equal(out.access.body.peer.uid, NOBODY);
  assert.equal(out.gwSocket.error, 'EACCES', 'the gateway\'s socket is 0600');
  // the same calls as this process's uid (the agent principal) are answered
  assert.equal((await call(dstack, 'Sign', { algorithm: 'ed25519', data: '00', path: 'agent/eth' })).status, 200);
  assert.equal((await call(dstack, 'JournalAppend', { journal: 'agent', kind: 'x', payload: 1 })).status, 200);
});
if (!ROOT) console.log('# uid principals SKIPPED: not root, cannot run a client as uid 65534');

async function gateway(vouchdPath) {
  return start(GATEWAY, ['--backend', 'http://127.0.0.1:1', '--listen', '127.0.0.1:0', '--vouchd', vouchdPath],
    (o) => /vouch-gateway: serving/.test(o));
}

test('vouch-gateway starts only when both keys are sign-only and its keys and journal are its alone', async () => {
  // through its principal's socket: it starts
  const g = await gateway(gwSock);
  g.p.kill('SIGTERM');
  // through dstack.sock it is the agent (this uid), not the gateway
  await assert.rejects(gateway(run), /key gateway\/ecdsa is not this gateway's alone in vouchd \(owners: gateway; this gateway: uid \d+, principal agent\).*"principals": \[\{"name": "gateway", "socket": "gateway.sock", "keys": \["gateway\/"\], "journals": \["gateway"\]\}\]/);
  // a vouchd without principals: sign-only is not enough, any process could sign with the keys
  const bare = await vouchd('bare', null, ['--sign-only', 'gateway/']);
  await assert.rejects(gateway(bare), /key gateway\/ecdsa is not this gateway's alone in vouchd \(owners: none; this gateway: uid \d+, principal none\): any process on vouchd's socket could sign with it/);
  // the keys shared with another principal
  const shared = await vouchd('shared', [GATEWAY_PRINCIPAL, { name: 'other', uid: 4242, keys: ['gateway/e'] }]);
  await assert.rejects(gateway(path.join(shared, 'gateway.sock')), /key gateway\/ecdsa is not this gateway's alone in vouchd \(owners: gateway, other;/);
  // the keys its own, its journal not
  const nojournal = await vouchd('nojournal', [{ ...GATEWAY_PRINCIPAL, journals: [] }]);
  await assert.rejects(gateway(path.join(nojournal, 'gateway.sock')), /journal gateway is not this gateway's alone in vouchd \(owners: none;.*could write receipts into it/);
  // --vouchd naming nothing
  await assert.rejects(gateway(path.join(dir, 'nowhere.sock')), /--vouchd .*nowhere.sock: no such socket or directory/);
});

test('vouchd refuses a principals config it cannot enforce, naming the field', () => {
  const cases = [
    [{}, /principals: expected an array/],
    [[{}], /principals\[0\]\.name: missing/],
    [['gateway'], /principals\[0\]: expected an object/],
    [[{ name: 'a' }], /principals\[0\]: give uid or socket/],
    [[{ name: 'a/b', uid: 1 }], /principals\[0\]\.name: 1 to 64/],
    [[{ name: 'a', uid: -1 }], /principals\[0\]\.uid: expected an integer/],
    [[{ name: 'a', uid: '1' }], /principals\[0\]\.uid: expected an integer/],
    [[{ name: 'a', uid: 4294967295 }], /principals\[0\]\.uid: expected an integer from 0 to 4294967294/],
    [[{ name: 'a', gid: 5, socket: 'a.sock' }], /principals\[0\]\.gid: given without uid/],
    [[{ name: 'a', socket: '../a.sock' }], /principals\[0\]\.socket: a file name/],
    [[{ name: 'a', socket: 'dstack.sock' }], /principals\[0\]\.socket: .*other than dstack.sock/],
    [[{ name: 'a', socket: '.a.sock' }], /principals\[0\]\.socket: a file name/],
    [[{ name: 'a', uid: 1, keys: 'gateway/' }], /principals\[0\]\.keys: expected an array/],
    [[{ name: 'a', uid: 1, keys: [''] }], /principals\[0\]\.keys: each prefix is a string of 1 to 256 bytes/],
    [[{ name: 'a', uid: 1, keys: [1] }], /principals\[0\]\.keys: each prefix/],
    [[{ name: 'a', uid: 1, keys: ['vouch/journal/'] }], /principals\[0\]\.keys: key paths under vouch\/ are vouchd's own/],
    [[{ name: 'a', uid: 1, journals: ['bad name'] }], /principals\[0\]\.journals: each is a journal name/],
    [[{ name: 'a', uid: 1, export: 'yes' }], /principals\[0\]\.export: expected true or false/],
    [[{ name: 'a', uid: 1, journal: ['a'] }], /principals\[0\]\.journal: unknown field/],
    [[{ name: 'a', uid: 1 }, { name: 'a', uid: 2 }], /principals\[1\]\.name: another principal has this name/],
    [[{ name: 'a', socket: 's' }, { name: 'b', socket: 's' }], /principals\[1\]\.socket: another principal has this socket/],
    [[{ name: 'a', uid: 7 }, { name: 'b', uid: 7, gid: 7 }], /principals\[1\]\.uid: principal a has the same uid/],
  ];
  for (const [principals, want] of cases) {
    const f = config('bad.json', { principals });
    const r = spawnSync(VOUCHD, ['--tee', 'sim', '--state-dir', path.join(dir, 'state-bad'), '--listen-dir',
      path.join(dir, 'run-bad'), '--config', f], { encoding: 'utf8', timeout: 10000, killSignal: 'SIGTERM' });
    assert.equal(r.status, 64, `${JSON.stringify(principals)}: exit ${r.status} ${r.stderr}`);
    assert.match(r.stderr, want, JSON.stringify(principals));
  }
});
