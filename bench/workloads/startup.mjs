/**
 * Workload 5, startup: wall time of `rocket --version` and `rocket port 22` against
 * `node -e 0` (the floor for anything written for Node), each run `runs` times, interleaved.
 */
import { spawnSync } from 'node:child_process';
import { summarize } from '../lib/stats.mjs';

function timeOnce(argv) {
  const t0 = performance.now();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
  const ms = performance.now() - t0;
  return r.status === 0 ? ms : Number.NaN;
}

export function startup({ commands, runs, log }) {
  const samples = Object.fromEntries(commands.map((c) => [c.name, []]));
  for (const c of commands) timeOnce(c.argv); // warm the page cache once
  for (let i = 0; i < runs; i++) for (const c of commands) samples[c.name].push(timeOnce(c.argv));
  const out = commands.map((c) => ({
    name: c.name,
    argv: c.argv,
    ms: summarize(samples[c.name]),
    samples: samples[c.name],
  }));
  for (const o of out)
    log(
      `  startup ${o.name.padEnd(28)} median ${o.ms.median.toFixed(1)} ms (${o.ms.min.toFixed(1)}-${o.ms.max.toFixed(1)})`,
    );
  return out;
}
