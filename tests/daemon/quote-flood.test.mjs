// A flood of quote-making requests on vouchd's public port (GetAttestationForAppKey, JournalAttestation: each
// makes a fresh quote, and anyone can ask): at most `public_quotes` are made at once, the rest get 503 at once
// with the reason, and every other route (and the next calm request) is still served.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { start, stopAll } from '../procs.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const VOUCHD = process.env.VOUCHD_BIN || path.join(here, '..', '..', 'build', 'bin', 'vouchd');
let dir, port;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'vouchd-quoteflood-'));
  const config = path.join(dir, 'vouchd.json');
  writeFileSync(config, JSON.stringify({ limits: { public_quotes: 1, per_ip_connections: 512 } }));
  const v = await start(VOUCHD, ['--tee', 'sim', '--state-dir', path.join(dir, 'state'), '--listen-dir', path.join(dir, 'run'),
    '--config', config, '--public', '127.0.0.1:0'], (o) => / public 127\.0\.0\.1:(\d+)/.exec(o));
  port = Number(v.m[1]);
});

after(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

function post(method, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: `/prpc/Worker.${method}`, method: 'POST', agent: false,
      headers: { 'Content-Type': 'application/json' } }, (res) => {
      let t = '';
      res.on('data', (d) => { t += d; });
      res.on('end', () => resolve({ status: res.statusCode, text: t }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

test('quote-making requests beyond public_quotes at once get 503; the rest are served', async () => {
  for (const [method, body] of [['GetAttestationForAppKey', { algorithm: 'secp256k1' }], ['JournalAttestation', {}]]) {
    const all = await Promise.all(Array.from({ length: 64 }, () => post(method, body)));
    const busy = all.filter((r) => r.status === 503), ok = all.filter((r) => r.status === 200);
    assert.equal(busy.length + ok.length, 64, all.map((r) => `${r.status} ${r.text.slice(0, 80)}`).join('\n'));
    assert.ok(busy.length > 0, `${method}: 64 at once, none refused`);
    assert.ok(ok.length > 0, `${method}: 64 at once, none served`);
    for (const r of busy) assert.match(JSON.parse(r.text).error, /^too many quotes at once for the public port's clients \(at most 1\): try again$/);
    assert.equal((await post(method, body)).status, 200, `${method}: served once the flood is over`);
  }
  const v = await post('Version', {});
  assert.equal(v.status, 200);
});
