// Child processes for the node tests: started, waited for until their output says they are ready, and all
// stopped (SIGTERM, then waited for) at the end.
import { spawn } from 'node:child_process';
import path from 'node:path';

const procs = [];

// Starts cmd; resolves with { p, m, out } once ready(output so far) gives something truthy (m), rejects if the
// process exits first. p.output() is everything it has printed.
export function start(cmd, args, ready) {
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(p);
  let out = '';
  p.stdout.on('data', (d) => { out += d; });
  p.stderr.on('data', (d) => { out += d; });
  p.output = () => out;
  return new Promise((resolve, reject) => {
    const t = setInterval(() => {
      const m = ready(out);
      if (m) { clearInterval(t); resolve({ p, m, out: p.output }); }
    }, 20);
    p.on('exit', (code) => { clearInterval(t); reject(new Error(`${path.basename(cmd)} exited ${code}: ${out}`)); });
  });
}

// Stops every process started, the last first.
export async function stopAll() {
  for (const p of procs.reverse()) {
    if (p.exitCode !== null || p.signalCode !== null) continue;
    const gone = new Promise((r) => p.on('exit', r));
    p.kill('SIGTERM');
    await gone;
  }
  procs.length = 0;
}
