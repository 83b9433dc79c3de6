// A journal server that never stops serving entries (issue 9, low): `vouch journal audit URL` must read what the
// server's signed checkpoint announces and no more. The server here is a real vouchd's public port behind a
// proxy that answers every JournalGet with as many well-formed entries as asked for, numbered on past the end of
// the journal, with leaf hashes computed as the format says (anyone can). Before, the audit read on forever
// (1.2 M entries in 25 s); now it audits the 5 entries the checkpoint covers, in a handful of requests.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { start, stopAll } from '../procs.mjs';

const VOUCHD = process.env.VOUCHD_BIN;
const VOUCH = process.env.VOUCH_BIN;
const dir = mkdtempSync(path.join(tmpdir(), 'vouch-endless-'));
after(async () => { await stopAll(); rmSync(dir, { recursive: true, force: true }); });

const be64 = (v) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(v)); return b; };
const lp = (b) => { const l = Buffer.alloc(4); l.writeUInt32BE(b.length); return Buffer.concat([l, b]); };
function entry(seq) { // a JSON entry as JournalGet gives it, its leaf hash as include/vouch/journal.h defines it
  const payload = Buffer.from(`{"n":${seq}}`);
  const leaf = Buffer.concat([Buffer.from('vouch.journal.entry.v1\0'), be64(seq), be64(1700000000000 + seq), Buffer.from([0]),
    be64(0), lp(Buffer.from('post')), Buffer.from([1]), lp(payload)]);
  return { seq, time_ms: 1700000000000 + seq, kind: 'post', payload_type: 'json', payload: { n: seq },
    leaf_hash: createHash('sha256').update(Buffer.concat([Buffer.from([0]), leaf])).digest('hex') };
}

function post(port, method, body) {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port, path: `/prpc/${method}`, method: 'POST' }, (res) => {
      let d = '';
      res.on('data', (c) => { d += c; });
      res.on('end', () => resolve(d));
    });
    r.on('error', reject);
    r.end(body);
  });
}

test('audit through a URL stops at the checkpoint the server announced', async () => {
  const run = path.join(dir, 'run');
  const v = await start(VOUCHD, ['--tee', 'sim', '--state-dir', path.join(dir, 'state'), '--listen-dir', run,
    '--public', '127.0.0.1:0'], (o) => / public 127\.0\.0\.1:(\d+)/.exec(o));
  const port = Number(v.m[1]);
  for (let i = 0; i < 5; i++)
    await new Promise((resolve, reject) => http.request({ socketPath: path.join(run, 'dstack.sock'), path: '/JournalAppend',
      method: 'POST' }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject)
      .end(JSON.stringify({ kind: 'post', payload: { n: i } })));
  await new Promise((resolve, reject) => http.request({ socketPath: path.join(run, 'dstack.sock'), path: '/JournalCheckpoint',
    method: 'POST' }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject).end('{"now":true}'));
  let gets = 0, served = 0;
  const proxy = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', async () => {
      const method = req.url.replace('/prpc/', '');
      if (method !== 'JournalGet') {
        res.end(await post(port, method, body));
        return;
      }
      gets++;
      const { from = 0, count = 100 } = JSON.parse(body || '{}');
      const real = JSON.parse(await post(port, method, JSON.stringify({ from: Math.min(from, 4), count: 1 })));
      const entries = [];
      for (let s = from; s < from + count; s++) entries.push(s < 5 ? null : entry(s));
      if (from < 5) { // the real ones first
        const page = JSON.parse(await post(port, method, JSON.stringify({ from, count: Math.min(count, 5 - from) })));
        entries.splice(0, page.entries.length, ...page.entries);
      }
      served += entries.length;
      res.end(JSON.stringify({ journal: real.journal, size: from + count + 1000, entries }));
    });
  });
  await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${proxy.address().port}`;
  const out = await new Promise((resolve) => {
    execFile(VOUCH, ['journal', 'audit', url, '--json'], { timeout: 20000 }, (err, stdout, stderr) =>
      resolve({ code: err ? err.code : 0, killed: err && err.killed, stdout, stderr }));
  });
  proxy.close();
  assert.ok(!out.killed, `the audit did not end in 20 s (it had been served ${served} entries in ${gets} pages)`);
  assert.equal(out.code, 0, out.stdout + out.stderr);
  const a = JSON.parse(out.stdout);
  assert.equal(a.entries, 5, 'the audit covers the 5 entries the checkpoint announced');
  assert.equal(a.uncovered_entries, 0);
  assert.ok(gets <= 2, `JournalGet called ${gets} times`);
  console.log(`# ${gets} JournalGet, ${served} entries served, ${a.entries} audited`);
});
