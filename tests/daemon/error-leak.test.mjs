// Error answers that leaked: vouchd's error buffer was not cleared, and some failing paths of GetTlsKey and
// Tappd.DeriveKey set no message, so their answer carried whatever an earlier request (another client's, on
// another connection) had left there: key paths, method names. Each bad request here follows a distinctive
// error from another client, on the same connection and on a fresh one, and must get its own precise error.
// Also: an error quoting bytes that are not UTF-8 is still answered, and GetTlsKey refuses validity dates no
// certificate can carry.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { start, stopAll } from '../procs.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const VOUCHD = process.env.VOUCHD_BIN || path.join(here, '..', '..', 'build', 'bin', 'vouchd');
const MARKER = 'LEAKED-' + 'x'.repeat(180);
let dir, run;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'vouchd-errleak-'));
  run = path.join(dir, 'run');
  await start(VOUCHD, ['--tee', 'sim', '--state-dir', path.join(dir, 'state'), '--listen-dir', run, '-q'],
    () => existsSync(path.join(run, 'tappd.sock')));
});

after(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

function call(sockName, p, body, agent) {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: path.join(run, sockName), path: p, method: 'POST', agent,
      headers: { 'Content-Type': 'application/json' } }, (res) => {
      let t = '';
      res.on('data', (d) => { t += d; });
      res.on('end', () => resolve({ status: res.statusCode, text: t }));
    });
    req.on('error', reject);
    req.end(typeof body === 'string' ? body : JSON.stringify(body));
  });
}

const bad = [
  ['tappd.sock', '/prpc/Tappd.DeriveKey', { path: 'a', subject: 's'.repeat(65) },
    /^subject: a certificate's common name is at most 64 characters, this one has 65$/],
  ['dstack.sock', '/GetTlsKey', '{"not_after": 9223372036854775807}',
    /^not_after: 9223372036854775807 is after 9999-12-31T23:59:59Z/],
  ['dstack.sock', '/GetTlsKey', { not_after: 0 }, /^not_before \(157766400, the default\) must be earlier than not_after \(0\)$/],
  ['dstack.sock', '/GetTlsKey', { not_before: 253402300800 }, /^not_before: 253402300800 is after 9999-12-31T23:59:59Z/],
  ['dstack.sock', '/GetTlsKey', { not_before: 5, not_after: 5 }, /^not_before must be earlier than not_after$/],
  ['dstack.sock', '/GetTlsKey', { alt_names: ['bücher.example'] }, /^alt_names\[0\]: a name is 1 to 253 ASCII characters/],
];

for (const [sockName, p, body, want] of bad) {
  test(`${p} ${JSON.stringify(body).slice(0, 60)}: its own error, after another client's`, async () => {
    // same connection: the marker's error, then the bad request
    const one = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const markerPath = sockName === 'dstack.sock' ? `/${MARKER}` : `/prpc/${MARKER}`;
    const m = await call(sockName, markerPath, {}, one);
    assert.equal(m.status, 400);
    assert.match(m.text, /Service not found: LEAKED-/);
    const same = await call(sockName, p, body, one);
    one.destroy();
    // a fresh connection (its thread may take the marker's stack)
    await call(sockName, markerPath, {});
    const fresh = await call(sockName, p, body);
    for (const r of [same, fresh]) {
      assert.equal(r.status, 400, r.text);
      assert.doesNotMatch(r.text, /LEAKED|Service not found/);
      assert.match(JSON.parse(r.text).error, want);
    }
  });
}

test('an error quoting bytes that are not UTF-8 is still answered (ASCII, the bytes as ?)', async () => {
  const got = await new Promise((resolve) => {
    const c = net.createConnection(path.join(run, 'dstack.sock'));
    let t = '';
    c.on('data', (d) => { t += d.toString('latin1'); if (t.includes('}')) c.end(); });
    c.on('close', () => resolve(t));
    c.write(Buffer.concat([Buffer.from('POST /'), Buffer.from([0xff, 0xfe, 0x41]),
      Buffer.from(' HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}')]));
  });
  assert.match(got, /^HTTP\/1\.1 400/);
  assert.match(got, /"error": "Service not found: \?\?A"/);
});

test('GetTlsKey issues certificates at both ends of what X.509 can carry', async () => {
  const last = await call('dstack.sock', '/GetTlsKey', { not_before: 0, not_after: 253402300799 });
  assert.equal(last.status, 200, last.text);
  const cert = new X509Certificate(JSON.parse(last.text).certificate_chain[0]);
  assert.equal(new Date(cert.validFrom).toISOString(), '1970-01-01T00:00:00.000Z');
  assert.equal(new Date(cert.validTo).toISOString(), '9999-12-31T23:59:59.000Z');
  const dflt = await call('dstack.sock', '/GetTlsKey', { not_before: 1000 });
  assert.equal(dflt.status, 200, dflt.text);
  const c2 = new X509Certificate(JSON.parse(dflt.text).certificate_chain[0]);
  assert.ok(new Date(c2.validFrom) < new Date(c2.validTo));
});
