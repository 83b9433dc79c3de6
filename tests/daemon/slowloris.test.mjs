// Slowloris and idle-connection floods against vouchd's public listener and vouch-gateway, from one address
// (127.0.0.2): connections that send nothing, a request head trickled one line every 500 ms (under the silence
// timeout, so only a deadline for the whole head ends it), and a body trickled one byte every 500 ms. Meanwhile
// a well-behaved client (127.0.0.1) must be served promptly; the attacker holds at most its per-address share
// of connections, and each of its connections ends by the head (or body) deadline. Loopback only, bounded in
// count (220 connections) and time (a few seconds per server).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { start, stopAll } from '../procs.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const bin = path.join(here, '..', '..', 'build', 'bin');
const VOUCHD = process.env.VOUCHD_BIN || path.join(bin, 'vouchd');
const GATEWAY = process.env.GATEWAY_BIN || path.join(bin, 'vouch-gateway');
const FAKE_LLM = process.env.FAKE_LLM_BIN || path.join(here, '..', '..', 'build', 'tests', 'fake_llm');
const PER_IP = 16, MAX_CONN = 48, HEAD_S = 2, BODY_S = 2;
const IDLE = 150, SLOW_HEADS = 40, SLOW_BODIES = 30; // 220 attacking connections: far over MAX_CONN
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let dir, vouchdPort, gatewayPort;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'vouch-slowloris-'));
  const run = path.join(dir, 'run');
  const config = path.join(dir, 'vouchd.json');
  writeFileSync(config, JSON.stringify({ limits: { max_connections: MAX_CONN, per_ip_connections: PER_IP,
    head_timeout_s: HEAD_S, body_timeout_s: BODY_S },
  principals: [{ name: 'gateway', socket: 'gateway.sock', keys: ['gateway/'], journals: ['gateway'] }] }));
  const v = await start(VOUCHD, ['--tee', 'sim', '--state-dir', path.join(dir, 'state'), '--listen-dir', run,
    '--sign-only', 'gateway/', '--config', config, '--public', '127.0.0.1:0'], (o) => / public 127\.0\.0\.1:(\d+)/.exec(o));
  vouchdPort = Number(v.m[1]);
  const b = await start(FAKE_LLM, [], (o) => /port (\d+)/.exec(o));
  const g = await start(GATEWAY, ['--backend', `http://127.0.0.1:${b.m[1]}`, '--listen', '127.0.0.1:0',
    '--vouchd', path.join(run, 'gateway.sock'), '--max-connections', String(MAX_CONN), '--per-ip-connections', String(PER_IP), '--head-timeout', String(HEAD_S),
    '--body-timeout', String(BODY_S)], (o) => /vouch-gateway: serving http:\/\/127\.0\.0\.1:(\d+)/.exec(o));
  gatewayPort = Number(g.m[1]);
});

after(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

// One attacking connection from 127.0.0.2. kind: 'idle' sends nothing; 'head' a header line every 500 ms
// (never the blank line); 'body' a whole head, then one body byte every 500 ms. Resolves, once the server has
// closed it (or after 15 s), with how long it stayed open after connecting (ms), or -1 if never connected.
function attacker(port, kind, p) {
  return new Promise((resolve) => {
    const c = net.createConnection({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
    let t0 = 0, timer;
    const end = (ms) => { clearInterval(timer); c.destroy(); resolve(ms); };
    const cap = setTimeout(() => end(15000), 15000);
    c.on('connect', () => {
      t0 = Date.now();
      if (kind === 'head') {
        c.write(`POST ${p} HTTP/1.1\r\nHost: x\r\n`);
        let i = 0;
        timer = setInterval(() => c.write(`X-Slow-${i++}: y\r\n`), 500);
      } else if (kind === 'body') {
        c.write(`POST ${p} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`);
        timer = setInterval(() => c.write(' '), 500);
      }
    });
    c.on('data', () => {});
    c.on('error', () => {});
    c.on('close', () => { clearTimeout(cap); end(t0 ? Date.now() - t0 : -1); });
  });
}

function good(port, p) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const req = http.get({ host: '127.0.0.1', port, path: p, localAddress: '127.0.0.1', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, ms: Date.now() - t0 }));
    });
    req.setTimeout(5000, () => req.destroy(new Error(`no answer in 5 s from ${p}`)));
    req.on('error', reject);
  });
}

async function underAttack(port, attackPath, goodPath) {
  const attacks = [];
  for (let i = 0; i < IDLE; i++) attacks.push(attacker(port, 'idle', attackPath));
  for (let i = 0; i < SLOW_HEADS; i++) attacks.push(attacker(port, 'head', attackPath));
  for (let i = 0; i < SLOW_BODIES; i++) attacks.push(attacker(port, 'body', attackPath));
  await sleep(300); // the attack in place
  const times = [];
  for (let k = 0; k < 15; k++) {
    const r = await good(port, goodPath);
    assert.equal(r.status, 200);
    times.push(r.ms);
    await sleep(100);
  }
  const open = await Promise.all(attacks);
  times.sort((a, b) => a - b);
  // promptly: the median well under a second, the slowest too (a loaded machine may stretch one)
  assert.ok(times[7] < 300 && times[14] < 1500, `the good client waited: ${times.join(', ')} ms`);
  // bounded in count: at most PER_IP of the attacker's connections were held past the moment of accepting
  const held = open.filter((ms) => ms > 500);
  assert.ok(held.length <= PER_IP, `${held.length} of the attacker's connections were held (cap ${PER_IP})`);
  assert.ok(held.length > 0, 'some attacking connections were served at all (the test attacks)');
  // bounded in time: each ends by its deadline (head or body, plus the reaper's period), though it never
  // went silent
  const longest = Math.max(...open);
  assert.ok(longest < (HEAD_S + BODY_S) * 1000 + 1500, `an attacking connection stayed ${longest} ms`);
  return { held: held.length, longest };
}

test('vouchd public listener: served promptly during slowloris and an idle flood from one address', async () => {
  const r = await underAttack(vouchdPort, '/prpc/Worker.Version', '/prpc/Worker.Version');
  console.log(`# vouchd: attacker held ${r.held} connections, the longest ${r.longest} ms`);
});

test('vouch-gateway: served promptly during slowloris and an idle flood from one address', async () => {
  const r = await underAttack(gatewayPort, '/v1/chat/completions', '/v1/models');
  console.log(`# gateway: attacker held ${r.held} connections, the longest ${r.longest} ms`);
});

test('a slow head ends at the head deadline, a slow body at the body deadline, though neither goes silent', async () => {
  for (const port of [vouchdPort, gatewayPort]) {
    const [head, body] = await Promise.all([attacker(port, 'head', '/prpc/Worker.Version'),
      attacker(port, 'body', '/v1/chat/completions')]);
    assert.ok(head >= HEAD_S * 1000 - 100 && head < HEAD_S * 1000 + 1000, `a slow head closed after ${head} ms`);
    assert.ok(body >= BODY_S * 1000 - 100 && body < BODY_S * 1000 + 1000, `a slow body closed after ${body} ms`);
  }
});
