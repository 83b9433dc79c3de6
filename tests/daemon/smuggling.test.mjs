// Request smuggling: framing that two HTTP parsers may read differently (a proxy in front and the server),
// sent with raw sockets to vouchd's public listener and to vouch-gateway. Each must be refused (400, or 413
// for a declared body over the limit, before any "100 Continue"), never answered as a request. Obs-fold
// (a header continued on the next line) is not among them: libmicrohttpd 0.9.75 joins folded lines before the
// application sees the headers (SECURITY.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { start, stopAll } from '../procs.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const bin = path.join(here, '..', '..', 'build', 'bin');
const VOUCHD = process.env.VOUCHD_BIN || path.join(bin, 'vouchd');
const GATEWAY = process.env.GATEWAY_BIN || path.join(bin, 'vouch-gateway');
const FAKE_LLM = process.env.FAKE_LLM_BIN || path.join(here, '..', '..', 'build', 'tests', 'fake_llm');
let dir;
const servers = {};

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'vouch-smuggle-'));
  const run = path.join(dir, 'run');
  const config = path.join(dir, 'vouchd.json');
  writeFileSync(config, JSON.stringify({ principals: [
    { name: 'gateway', socket: 'gateway.sock', keys: ['gateway/'], journals: ['gateway'] }] }));
  const v = await start(VOUCHD, ['--tee', 'sim', '--state-dir', path.join(dir, 'state'), '--listen-dir', run,
    '--config', config, '--public', '127.0.0.1:0'], (o) => / public 127\.0\.0\.1:(\d+)/.exec(o));
  servers.vouchd = { port: Number(v.m[1]), path: '/prpc/Worker.Version', body: '{}', max: 1 << 20 };
  const b = await start(FAKE_LLM, [], (o) => /port (\d+)/.exec(o));
  const g = await start(GATEWAY, ['--backend', `http://127.0.0.1:${b.m[1]}`, '--listen', '127.0.0.1:0',
    '--vouchd', path.join(run, 'gateway.sock'), '--max-body', '1024'], (o) => /vouch-gateway: serving http:\/\/127\.0\.0\.1:(\d+)/.exec(o));
  const chat = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
  servers.gateway = { port: Number(g.m[1]), path: '/v1/chat/completions', body: chat, max: 1024 };
});

after(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

// raw bytes; resolves with everything the server sent until it closed (or 2 s)
function raw(port, bytes) {
  return new Promise((resolve) => {
    const c = net.createConnection({ host: '127.0.0.1', port });
    let got = '';
    const t = setTimeout(() => c.destroy(), 2000);
    c.on('data', (d) => { got += d; });
    c.on('close', () => { clearTimeout(t); resolve(got); });
    c.on('error', () => {});
    c.write(bytes);
  });
}

const chunked = (b) => `${b.length.toString(16)}\r\n${b}\r\n0\r\n\r\n`;
const cases = (s) => [
  ['Content-Length with Transfer-Encoding', 400, `Content-Length: ${s.body.length}\r\nTransfer-Encoding: chunked\r\n\r\n${chunked(s.body)}`, /both Content-Length and Transfer-Encoding/],
  ['two different Content-Lengths', 400, `Content-Length: ${s.body.length}\r\nContent-Length: ${s.body.length + 1}\r\n\r\n${s.body} `, /two different Content-Lengths/],
  ['the same Content-Length twice', 400, `Content-Length: ${s.body.length}\r\nContent-Length: ${s.body.length}\r\n\r\n${s.body}`, /Content-Length twice/],
  ['"Transfer-Encoding :" (a space before the colon)', 400, `Transfer-Encoding : chunked\r\nContent-Length: ${s.body.length}\r\n\r\n${s.body}`, null],
  ['Transfer-Encoding other than chunked', 400, `Transfer-Encoding: gzip, chunked\r\n\r\n${chunked(s.body)}`, /other than chunked/],
  ['a Content-Length that is not a number', 400, `Content-Length: +${s.body.length}\r\n\r\n${s.body}`, null],
  ['Expect: 100-continue with a body over the limit', 413, `Content-Length: ${s.max + 1}\r\nExpect: 100-continue\r\n\r\n`, /larger than/],
];

for (const name of ['vouchd', 'gateway']) {
  test(`${name}: ambiguous framing is refused, never answered as a request`, async () => {
    const s = servers[name];
    for (const [what, status, rest, why] of cases(s)) {
      const got = await raw(s.port, `POST ${s.path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${rest}`);
      assert.match(got, new RegExp(`^HTTP/1\\.1 ${status} `), `${what}: ${got.slice(0, 120)}`);
      assert.doesNotMatch(got, /100 Continue|HTTP\/1\.1 200/, `${what}: ${got.slice(0, 200)}`);
      if (why) assert.match(got, why, what);
    }
    // and the same request, framed plainly, is served (by Content-Length and by chunks)
    for (const framing of [`Content-Length: ${s.body.length}\r\n\r\n${s.body}`, `Transfer-Encoding: chunked\r\n\r\n${chunked(s.body)}`]) {
      const ok = await raw(s.port, `POST ${s.path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n${framing}`);
      assert.match(ok, /^HTTP\/1\.1 200 /, ok.slice(0, 200));
    }
  });
}
