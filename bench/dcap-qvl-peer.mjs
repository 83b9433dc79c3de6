// The peer for bench_verify: @phala/dcap-qvl (pure JS) verifying the same vectors at the same `now`.
// Prints one JSON object: {"tdx": {"rate": …}, "sgx": {"rate": …}} — verifications per second, the median
// of several timed batches after a warm-up (the method of the spec, §5.2).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const qvl = require('@phala/dcap-qvl');
const [vectors, batches = '5', perBatch = '200'] = process.argv.slice(2);

function rate(quoteFile, collFile, now) {
  const quote = new Uint8Array(readFileSync(path.join(vectors, quoteFile)));
  const coll = JSON.parse(readFileSync(path.join(vectors, collFile)));
  for (let i = 0; i < 50; i++) qvl.verify(quote, coll, now);
  const rates = [];
  for (let b = 0; b < Number(batches); b++) {
    const t = performance.now();
    for (let i = 0; i < Number(perBatch); i++) qvl.verify(quote, coll, now);
    rates.push((Number(perBatch) * 1000) / (performance.now() - t));
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)];
}

console.log(JSON.stringify({
  tdx: { rate: rate('tdx_quote', 'tdx_quote_collateral.json', 1752919234) },
  sgx: { rate: rate('sgx_quote', 'sgx_quote_collateral.json', 1752919277) },
}));
