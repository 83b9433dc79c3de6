// vouch-gateway with the npm `openai` SDK as its client, in front of tests/tools/fake_llm (an OpenAI-compatible
// server with deterministic tokens: no model can run here), with vouchd (sim) holding its keys. Every answer's
// receipt is checked three ways: recomputed from the exact bytes the SDK sent and received, verified with
// viem's verifyMessage (EIP-191) and @noble/curves (Ed25519), and by `vouch verify-response`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { start, stopAll } from '../procs.mjs';
import OpenAI from 'openai';
import { verifyMessage } from 'viem';
import { ed25519 } from '@noble/curves/ed25519';

const here = path.dirname(new URL(import.meta.url).pathname);
const bin = path.join(here, '..', '..', 'build', 'bin');
const VOUCHD = process.env.VOUCHD_BIN || path.join(bin, 'vouchd');
const VOUCH = process.env.VOUCH_BIN || path.join(bin, 'vouch');
const GATEWAY = process.env.GATEWAY_BIN || path.join(bin, 'vouch-gateway');
const FAKE_LLM = process.env.FAKE_LLM_BIN || path.join(here, '..', '..', 'build', 'tests', 'fake_llm');
const TOKEN = 'test-token-0123456789';

let dir, state, run, backendPort, gwUrl, tlsUrl, collFile;
const sha = (b) => createHash('sha256').update(b).digest('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// port 0: the gateway listens on a port the system picks and prints it once it listens
async function gateway(extra = [], tls = false) {
  const g = await start(GATEWAY, ['--backend', `http://127.0.0.1:${backendPort}`, '--listen', '127.0.0.1:0',
    '--vouchd', path.join(run, 'gateway.sock'),
    '--token-file', path.join(dir, 'token'), ...(tls ? ['--tls'] : []), ...extra],
  (o) => /vouch-gateway: serving (https?:\/\/127\.0\.0\.1:\d+)/.exec(o));
  return { ...g, url: g.m[1] };
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'vouch-gw-'));
  state = path.join(dir, 'state');
  run = path.join(dir, 'run');
  writeFileSync(path.join(dir, 'token'), `${TOKEN}\n`);
  // the gateway's principal: its keys and journal are its own, reached through its own socket
  writeFileSync(path.join(dir, 'vouchd.json'), JSON.stringify({ principals: [
    { name: 'gateway', socket: 'gateway.sock', keys: ['gateway/'], journals: ['gateway'] }] }));
  await start(VOUCHD, ['--tee', 'sim', '--state-dir', state, '--listen-dir', run, '--config', path.join(dir, 'vouchd.json'),
    '-q'], () => existsSync(path.join(run, 'gateway.sock')));
  const b = await start(FAKE_LLM, [], (o) => /port (\d+)/.exec(o));
  backendPort = Number(b.m[1]);
  gwUrl = (await gateway()).url;
  collFile = path.join(dir, 'coll.json');
  writeFileSync(collFile, execFileSync(VOUCH, ['sim', 'collateral', '--state-dir', state]));
});

after(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

// an SDK client whose fetch keeps the exact bytes sent and received
function client(url = gwUrl, apiKey = TOKEN) {
  const seen = {};
  const fetch = async (u, init) => {
    seen.request = init.body ? Buffer.from(init.body) : Buffer.alloc(0);
    const res = await globalThis.fetch(u, init);
    const [a, b] = res.body.tee();
    seen.response = new Promise((resolve) => new Response(b).arrayBuffer().then((x) => resolve(Buffer.from(x))));
    return new Response(a, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
  return { api: new OpenAI({ apiKey, baseURL: `${url}/v1`, fetch, maxRetries: 0 }), seen };
}

async function get(p, headers = { Authorization: `Bearer ${TOKEN}` }) {
  const r = await fetch(`${gwUrl}${p}`, { headers });
  return { status: r.status, body: await r.json() };
}

// the receipt of one answer, checked three ways; returns its signature JSON
async function checkReceipt(id, request, response) {
  const text = `${sha(request)}:${sha(response)}`;
  const ec = await get(`/v1/signature/${id}?signing_algo=ecdsa`);
  assert.equal(ec.status, 200, JSON.stringify(ec.body));
  assert.equal(ec.body.text, text, 'the signed text is the hashes of the exact bytes');
  assert.equal(await verifyMessage({ address: ec.body.signing_address, message: text, signature: ec.body.signature }), true);
  const ed = await get(`/v1/signature/${id}?signing_algo=ed25519`);
  assert.ok(ed25519.verify(Buffer.from(ed.body.signature, 'hex'), Buffer.from(text), Buffer.from(ed.body.signing_address, 'hex')));
  // and with vouch, against a fresh report bound to a nonce of ours
  const nonce = createHash('sha256').update(`nonce ${id}`).digest('hex');
  const rep = await get(`/v1/attestation/report?nonce=${nonce}&signing_address=${ec.body.signing_address}`, {});
  assert.equal(rep.status, 200);
  const f = (n, d) => { const p = path.join(dir, `${id}.${n}`); writeFileSync(p, d); return p; };
  const out = execFileSync(VOUCH, ['verify-response', '--request', f('req', request), '--response', f('resp', response),
    '--signature', f('sig', JSON.stringify(ec.body)), '--report', f('rep', JSON.stringify(rep.body)), '--nonce', nonce,
    '--collateral', collFile, '--root', path.join(state, 'sim-root.der'), '--json'], { encoding: 'utf8' });
  assert.equal(JSON.parse(out).ok, true, out);
  return ec.body;
}

test('chat completion: the answer, and its receipt verified three ways', async () => {
  const { api, seen } = client();
  const r = await api.chat.completions.create({ model: 'fake-model', messages: [{ role: 'user', content: 'hello' }], max_tokens: 5 });
  assert.equal(r.choices[0].message.content, 'tok0[hello] tok1[hello] tok2[hello] tok3[hello] tok4[hello] ');
  const sig = await checkReceipt(r.id, seen.request, await seen.response);
  assert.deepEqual(sig.journal.name, 'gateway');
  // the answer is provable offline: its journal entry exported as a bundle and verified
  const bundle = path.join(dir, 'receipt-bundle.json');
  execFileSync(VOUCH, ['journal', 'export', '--journal', 'gateway', '--seq', String(sig.journal.seq), '-o', bundle,
    '--sim-state', state, '--listen-dir', run], { encoding: 'utf8' });
  const v = JSON.parse(execFileSync(VOUCH, ['journal', 'verify', bundle, '--root', path.join(state, 'sim-root.der'), '--json'],
    { encoding: 'utf8' }));
  assert.equal(v.ok, true);
  const entry = JSON.parse(readFileSync(bundle, 'utf8')).entry;
  assert.equal(entry.kind, 'receipt');
  assert.equal(entry.payload.chat_id, r.id);
  assert.equal(entry.payload.text, sig.text);
  assert.equal(entry.payload.ecdsa.signature, sig.signature);
});

test('streamed chat completion: chunks as they come, the receipt over every byte including [DONE]', async () => {
  const { api, seen } = client();
  const stream = await api.chat.completions.create({ model: 'fake-model', messages: [{ role: 'user', content: 'stream' }],
    max_tokens: 8, stream: true });
  let content = '', id;
  for await (const chunk of stream) { id = chunk.id; content += chunk.choices[0]?.delta?.content ?? ''; }
  assert.equal(content.split(' ').filter(Boolean).length, 8);
  const raw = await seen.response;
  assert.ok(raw.toString().endsWith('data: [DONE]\n\n'));
  await checkReceipt(id, seen.request, raw);
});

test('text completions, streamed and not', async () => {
  const { api, seen } = client();
  const r = await api.completions.create({ model: 'fake-model', prompt: 'abc', max_tokens: 3 });
  assert.equal(r.choices[0].text, 'tok0[abc] tok1[abc] tok2[abc] ');
  await checkReceipt(r.id, seen.request, await seen.response);
  const s = client();
  const stream = await s.api.completions.create({ model: 'fake-model', prompt: 'def', max_tokens: 3, stream: true });
  let id;
  for await (const chunk of stream) id = chunk.id;
  await checkReceipt(id, s.seen.request, await s.seen.response);
});

test('models, the token, errors', async () => {
  const { api } = client();
  const models = await api.models.list();
  assert.equal(models.data[0].id, 'fake-model');
  const wrong = client(gwUrl, 'wrong-token');
  await assert.rejects(wrong.api.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
    (e) => e.status === 401);
  await assert.rejects(api.chat.completions.create({ model: 'fake-fail', messages: [{ role: 'user', content: 'x' }] }),
    (e) => e.status === 500, 'the backend\'s error passes through');
  assert.equal((await get('/v1/signature/chatcmpl-nope')).status, 404);
  assert.equal((await get('/v1/signature/x', {})).status, 401, 'signatures need the token');
  assert.equal((await get('/v1/attestation/report?nonce=abc', {})).status, 400);
  assert.equal((await get('/v1/attestation/report?signing_address=0x0000000000000000000000000000000000000000', {})).status, 404);
});

test('report v1: the quote binds the padded address and the nonce', async () => {
  const nonce = 'ab'.repeat(32);
  for (const algo of ['ecdsa', 'ed25519']) {
    const { body } = await get(`/v1/attestation/report?signing_algo=${algo}&nonce=${nonce}`, {});
    const rd = body.intel_quote.slice(568 * 2, 632 * 2);
    const addr = body.signing_address.replace(/^0x/, '').toLowerCase();
    assert.equal(rd.slice(0, 64), addr.padEnd(64, '0'));
    assert.equal(rd.slice(64), nonce);
    assert.equal(body.request_nonce, nonce);
    assert.equal(body.nvidia_payload, '');
    assert.match(body.gpu_evidence, /not configured/);
    assert.equal(body.all_attestations[0].signing_address, body.signing_address);
    assert.ok(body.info.app_id && Array.isArray(body.event_log));
  }
});

test('report v2 with --tls: the quote binds the key and the TLS certificate it serves', async () => {
  const g = await gateway(['--tls-name', '127.0.0.1'], true);
  const nonce = 'cd'.repeat(32);
  // the served certificate, read with curl (Node's fetch has no per-call CA)
  const rep = JSON.parse(execFileSync('curl', ['-sk', `${g.url}/v1/attestation/report?version=2&nonce=${nonce}`], { encoding: 'utf8' }));
  const certs = execFileSync('sh', ['-c', `echo | openssl s_client -connect ${g.url.slice(8)} 2>/dev/null | openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | sha256sum`], { encoding: 'utf8' });
  assert.equal(rep.tls_cert_fingerprint, certs.slice(0, 64), 'the fingerprint is the served certificate\'s key');
  const addr = Buffer.from(rep.signing_address.slice(2), 'hex');
  const want = createHash('sha256').update(Buffer.concat([addr, Buffer.from(rep.tls_cert_fingerprint, 'hex')])).digest('hex');
  assert.equal(rep.intel_quote.slice(568 * 2, 600 * 2), want);
  assert.equal(rep.version, 2);
  g.p.kill('SIGTERM');
});

test('a restarted gateway still answers for earlier answers (the journal keeps them)', async () => {
  const { api, seen } = client();
  const r = await api.chat.completions.create({ model: 'fake-model', messages: [{ role: 'user', content: 'keep' }], max_tokens: 2 });
  const request = seen.request, response = await seen.response;
  await checkReceipt(r.id, request, response);
  const g2 = await gateway();
  const again = await fetch(`${g2.url}/v1/signature/${r.id}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  const body = await again.json();
  assert.equal(body.text, `${sha(request)}:${sha(response)}`);
  g2.p.kill('SIGTERM');
});

test('concurrent streams do not mix', async () => {
  const results = await Promise.all(Array.from({ length: 24 }, async (_, i) => {
    const { api, seen } = client();
    const stream = await api.chat.completions.create({ model: 'fake-model', messages: [{ role: 'user', content: `s${i}` }],
      max_tokens: 20, stream: true });
    let content = '', id;
    for await (const c of stream) { id = c.id; content += c.choices[0]?.delta?.content ?? ''; }
    return { i, id, content, request: seen.request, response: await seen.response };
  }));
  for (const r of results) {
    assert.ok(r.content.split(' ').filter(Boolean).every((t) => t.endsWith(`[s${r.i}]`)), `stream ${r.i} is its own`);
    const sig = await get(`/v1/signature/${r.id}`);
    assert.equal(sig.body.text, `${sha(r.request)}:${sha(r.response)}`);
  }
});
