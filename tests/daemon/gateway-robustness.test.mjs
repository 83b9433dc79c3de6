// vouch-gateway under failure: a backend that is down (502) or too slow (504), an oversize body (413), and
// 10,000 clients that go away in the middle of a stream — after which the gateway's memory and open files are
// where they were, and it still answers. Backend: tests/tools/fake_llm (no model can run here).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { start, stopAll } from '../procs.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const bin = path.join(here, '..', '..', 'build', 'bin');
const VOUCHD = process.env.VOUCHD_BIN || path.join(bin, 'vouchd');
const GATEWAY = process.env.GATEWAY_BIN || path.join(bin, 'vouch-gateway');
const FAKE_LLM = process.env.FAKE_LLM_BIN || path.join(here, '..', '..', 'build', 'tests', 'fake_llm');
// Under ASan, freed memory waits in a quarantine, so RSS cannot show a leak (LeakSanitizer does, at exit):
// fewer streams there, and the memory check is skipped, saying so.
const SANITIZED = process.env.VOUCH_SANITIZED === '1';
const ABORTS = Number(process.env.GATEWAY_ABORTS || (SANITIZED ? 2000 : 10000));

let dir, run, gateways = [], backend;

async function gateway(backendUrl, extra = []) {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const g = await start(GATEWAY, ['--backend', backendUrl, '--listen', `127.0.0.1:${port}`, '--vouchd', run, ...extra],
    (o) => o.includes('receipts in journal'));
  gateways.push(g.p);
  return { ...g, port };
}
function post(port, p, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, method: 'POST', headers }, (res) => {
      let t = '';
      res.on('data', (d) => { t += d; });
      res.on('end', () => resolve({ status: res.statusCode, text: t }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const chat = (model, extra = {}) => JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }], ...extra });
const status = (pid, field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'vouch-gwr-'));
  run = path.join(dir, 'run');
  await start(VOUCHD, ['--tee', 'sim', '--state-dir', path.join(dir, 'state'), '--listen-dir', run, '--sign-only', 'gateway/', '-q'],
    () => existsSync(path.join(run, 'dstack.sock')));
  const b = await start(FAKE_LLM, [], (o) => /port (\d+)/.exec(o));
  backend = `http://127.0.0.1:${b.m[1]}`;
});

after(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

test('a backend that is down gives 502, a slow one 504, an oversize body 413, all as JSON', async () => {
  const down = await gateway('http://127.0.0.1:1');
  const r1 = await post(down.port, '/v1/chat/completions', chat('m'));
  assert.equal(r1.status, 502);
  assert.match(JSON.parse(r1.text).error.message, /could not be reached/);
  const r1s = await post(down.port, '/v1/chat/completions', chat('m', { stream: true }));
  assert.equal(r1s.status, 502, 'a stream to a dead backend too');
  const slow = await gateway(backend, ['--backend-timeout', '1', '--max-body', '1024']);
  const r2 = await post(slow.port, '/v1/chat/completions', chat('fake-slow'));
  assert.equal(r2.status, 504);
  assert.equal(JSON.parse(r2.text).error.type, 'gateway_timeout');
  const r3 = await post(slow.port, '/v1/chat/completions', chat('m', { pad: 'x'.repeat(2000) }));
  assert.equal(r3.status, 413);
  const r4 = await post(slow.port, '/v1/chat/completions', 'not json');
  assert.equal(r4.status, 400);
  const r5 = await post(slow.port, '/v1/chat/completions', chat('m'));
  assert.equal(r5.status, 200, 'and it goes on answering');
});

test(`${ABORTS} clients leaving mid-stream: memory and open files flat, still answering`, async () => {
  const g = await gateway(backend);
  const abortOne = () => new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port: g.port, path: '/v1/chat/completions', method: 'POST',
      agent: false }, (res) => { res.once('data', () => { req.destroy(); resolve(); }); });
    req.on('error', () => resolve());
    req.end(chat('fake-big', { stream: true }));
  });
  const batch = async (n) => { for (let i = 0; i < n; i += 16) await Promise.all(Array.from({ length: 16 }, abortOne)); };
  // Memory is read when the gateway is idle again (its threads back to what they were at start): in the middle
  // of a load, RSS follows how many streams are still being torn down, which is not a leak.
  const tasks = () => readdirSync(`/proc/${g.p.pid}/task`).length;
  const idle0 = tasks();
  const quiet = async () => {
    for (let i = 0; i < 200 && tasks() > idle0; i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 200));
    return { rss: status(g.p.pid, 'VmRSS'), fds: readdirSync(`/proc/${g.p.pid}/fd`).length };
  };
  await batch(1000);
  const { rss: rss0, fds: fds0 } = await quiet();
  await batch(ABORTS - 1000);
  const { rss: rss1, fds: fds1 } = await quiet();
  console.log(`# after 1,000 aborted streams: RSS ${rss0} KiB, ${fds0} fds; after ${ABORTS}: RSS ${rss1} KiB, ${fds1} fds`);
  if (SANITIZED) console.log('# RSS check SKIPPED: sanitizer build (LeakSanitizer checks the gateway at exit)');
  else assert.ok(rss1 - rss0 < 2048, `RSS grew by ${rss1 - rss0} KiB`);
  assert.ok(fds1 <= fds0 + 4, `open files ${fds0} -> ${fds1}`);
  const ok = await post(g.port, '/v1/chat/completions', chat('m'));
  assert.equal(ok.status, 200);
});

test('every gateway stops cleanly on SIGTERM (under ASan: LeakSanitizer finds nothing)', async () => {
  for (const p of gateways) {
    const [code, signal] = await new Promise((r) => { p.on('exit', (c, s) => r([c, s])); p.kill('SIGTERM'); });
    assert.equal(signal, null);
    assert.equal(code, 0, p.output());
  }
});
