// Crash safety of the journal: 100 times, vouchd (sim) is killed with SIGKILL while 16 clients append as fast
// as they can over its real unix socket. After each restart every append vouchd acknowledged is there with
// its payload, nothing else took its seq, and `vouch journal audit` finds the database consistent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const build = path.join(here, '..', '..', 'build', 'bin');
const VOUCHD = process.env.VOUCHD_BIN || path.join(build, 'vouchd');
const VOUCH = process.env.VOUCH_BIN || path.join(build, 'vouch');
const RUNS = Number(process.env.CRASH_RUNS || 100);
const CLIENTS = 16;

function call(sock, agent, method, body) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request({ socketPath: sock, path: `/${method}`, method: 'POST', agent,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(text))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function start(state, run) {
  const sock = path.join(run, 'dstack.sock');
  rmSync(sock, { force: true });
  const d = spawn(VOUCHD, ['--tee', 'sim', '--state-dir', state, '--listen-dir', run, '-q'],
    { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((r) => d.on('exit', r));
  // up = answering; a loaded machine and a growing journal make start-up slower
  for (let deadline = Date.now() + 30000; ; await new Promise((r) => setTimeout(r, 10))) {
    try {
      if (existsSync(sock)) { await call(sock, undefined, 'JournalList', {}); break; }
    } catch (e) {
      if (d.exitCode !== null || Date.now() > deadline) throw new Error(`vouchd is not up: ${e.message}`);
    }
    if (d.exitCode !== null || Date.now() > deadline) throw new Error('vouchd is not up');
  }
  return { d, exited, sock };
}

test(`${RUNS} runs of kill -9 during ${CLIENTS} concurrent appenders lose no acknowledged entry`, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vouch-crash-'));
  const state = path.join(dir, 'state'), run = path.join(dir, 'run');
  const acked = new Map(); // seq -> payload
  const twice = []; // seqs acknowledged twice (a client's error path must not hide them)
  let total = 0, v;
  try {
    for (let r = 0; r < RUNS; r++) {
      v = await start(state, run);
      const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
      // every acknowledged entry survived the last crash
      const seqs = [...acked.keys()].sort((a, b) => a - b);
      const size = seqs.length ? seqs[seqs.length - 1] + 1 : 0;
      for (let from = 0; from < size; from += 1000) {
        const got = await call(v.sock, agent, 'JournalGet', { from, count: 1000 });
        for (const e of got.entries)
          if (acked.has(e.seq)) assert.deepEqual(e.payload, acked.get(e.seq), `entry ${e.seq} after crash ${r}`);
        const present = new Set(got.entries.map((e) => e.seq));
        for (const s of seqs) if (s >= from && s < from + 1000) assert.ok(present.has(s), `entry ${s} lost at crash ${r}`);
      }
      // appenders, then SIGKILL at a random moment
      let stop = false;
      const clients = Array.from({ length: CLIENTS }, async (_, c) => {
        for (let i = 0; !stop; i++) {
          const payload = { run: r, client: c, i };
          try {
            const a = await call(v.sock, agent, 'JournalAppend', { kind: 'crash', payload });
            if (acked.has(a.seq)) twice.push(a.seq);
            acked.set(a.seq, payload);
            total++;
          } catch {
            return; // the daemon is gone
          }
        }
      });
      await new Promise((res) => setTimeout(res, 30 + Math.random() * 90));
      v.d.kill('SIGKILL');
      await v.exited;
      stop = true;
      await Promise.all(clients);
      agent.destroy();
      assert.deepEqual(twice, [], 'no seq is acknowledged twice');
      // the database as the crash left it: consistent to the last signed checkpoint; a crash before the
      // journal's first checkpoint leaves entries nothing signed covers yet, which the audit calls UNVERIFIED
      // (exit 2) until vouchd restarts and signs them
      let out;
      try {
        out = execFileSync(VOUCH, ['journal', 'audit', path.join(state, 'journal.db'), '--json'], { encoding: 'utf8' });
      } catch (e) {
        const u = e.stdout ? JSON.parse(e.stdout) : null;
        if (!(u && u.error_code === 'unverified' && u.checkpoints === 0))
          assert.fail(`audit after crash ${r} failed: ${e.stdout}${e.stderr}`);
        out = JSON.stringify({ ...u, ok: true });
      }
      const a = JSON.parse(out);
      assert.equal(a.ok, true, `audit after crash ${r}: ${a.error}`);
      assert.ok(a.entries >= acked.size, `audit sees ${a.entries} entries, ${acked.size} were acknowledged`);
    }
    assert.ok(total > RUNS * CLIENTS, `appends were acknowledged (${total})`);
    console.log(`# ${RUNS} crashes, ${total} acknowledged appends, none lost`);
  } finally {
    if (v && v.d.exitCode === null && v.d.signalCode === null) {
      v.d.kill('SIGKILL');
      await v.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
