#!/usr/bin/env node
/**
 * rocket's benchmark suite: rocket side by side with nc, socat, ncat and iperf3 in one run,
 * on loopback only. `npm run bench` (about 15 minutes on 2 cores), `npm run bench -- --quick`
 * (a smoke run of about a minute that checks everything runs, not the targets). See the
 * README's "Performance" section, and `--help`.
 *
 * Every load is bounded in count and in time, and every process started is killed on the way
 * out. Results: a table on stdout, and .bench-results/<stamp>.{json,md,svg} (git-ignored);
 * `--publish` also writes bench/fanout.svg, the chart the README shows.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuPlan, hasCommand, killAll, openFileLimit } from './lib/proc.mjs';
import { buildChart, buildReport } from './lib/report.mjs';
import { rawPipe } from './workloads/raw-pipe.mjs';
import { roomRun } from './workloads/room.mjs';
import { startup } from './workloads/startup.mjs';
import { udpRun } from './workloads/udp-room.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WANTED_OPEN_FILES = 65535;
const bundle = path.join(root, 'dist', 'rocket.mjs');

const HELP = `Usage: npm run bench [-- OPTIONS]

  --quick              smoke run (~1 min; shows it all runs, too small to judge the targets):
                       small transfers, 10 and 1,000 clients, 1 repetition
  --reps N             repetitions of each measurement (default 3; 1 with --quick)
  --raw-bytes BYTES    raw pipe size (default 512 MiB; 64 MiB with --quick); or set
                       ROCKET_BENCH_RAW_BYTES; --raw-gib 2 is the issue's 2 GiB
  --clients LIST       room sizes, e.g. 10,100,1000,10000 (the default)
  --only LIST          some of: raw,room,udp,startup (room covers fan-out, joining, memory)
  --rocket 'CMD'       how to start rocket (default: package.json's bin, run by its #! line); for A/B runs
  --publish            also write bench/fanout.svg (the README's chart)
  --no-pin             leave raw and UDP processes where the scheduler puts them (by default each
                       end gets a core of its own, with taskset, as two machines would)
  --out DIR            where results go (default .bench-results)

Needs (Debian): ncat socat netcat-openbsd iperf3. Loopback only.`;

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    reps: { type: 'string' },
    'raw-bytes': { type: 'string' },
    'raw-gib': { type: 'string' },
    clients: { type: 'string' },
    only: { type: 'string' },
    rocket: { type: 'string' },
    publish: { type: 'boolean' },
    'no-pin': { type: 'boolean' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (flags.help) {
  console.log(HELP);
  process.exit(0);
}

// 10,000 client sockets need file descriptors: re-run under a raised limit when we can.
if (!process.env.ROCKET_BENCH_ULIMIT && openFileLimit() < WANTED_OPEN_FILES) {
  const script = `ulimit -n ${WANTED_OPEN_FILES} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"`;
  const r = spawnSync('bash', ['-c', script, 'bench', process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, ROCKET_BENCH_ULIMIT: '1' },
  });
  process.exit(r.status ?? 1);
}

const quick = Boolean(flags.quick);
const reps = Number(flags.reps ?? (quick ? 1 : 3));
const rawBytes = flags['raw-gib']
  ? Number(flags['raw-gib']) * 1024 ** 3
  : Number(flags['raw-bytes'] ?? process.env.ROCKET_BENCH_RAW_BYTES ?? (quick ? 64 : 512) * 1024 ** 2);
const clientCounts = (flags.clients ?? (quick ? '10,1000' : '10,100,1000,10000')).split(',').map(Number);
const only = new Set((flags.only ?? 'raw,room,udp,startup').split(','));
// The bin itself, as a user runs it: its #! line carries rocket's Node flags.
const rocket = flags.rocket ? flags.rocket.split(' ') : [path.join(root, readBin())];
const cpus = cpuPlan(!flags['no-pin']);
const outDir = path.resolve(flags.out ?? path.join(root, '.bench-results'));

function readBin() {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  return typeof pkg.bin === 'string' ? pkg.bin : pkg.bin.rocket;
}

/** Room load per N: rates are lines per second per sender (4 senders); see room.mjs. */
const roomPlan = {
  workers: 2,
  // Connects in flight per client process. ncat listens with a backlog of 10: with more in
  // flight its accept queue overflows and silent clients are never accepted (and bursts of
  // 64+ make it quit: "getpeername ... failed"), so it gets 3 per process (9 in all).
  joinConcurrency: { rocket: 64, ncat: 3 },
  joinTimeoutMs: quick ? 30_000 : 60_000,
  settleTimeoutMs: quick ? 20_000 : 60_000,
  phaseMs: quick ? 1000 : 2000,
  quietMs: 1000,
  drainTimeoutMs: quick ? 15_000 : 30_000,
  // The blast phase sends at most this many deliveries' worth of lines (bounded memory).
  blastDeliveries: quick ? 1_000_000 : 4_000_000,
  rates: {
    // ~4,000-40,000 deliveries/s: light load, for latency.
    paced: (n) => Math.max(1, Math.min(100, Math.round(10_000 / n))),
    // ~200,000 deliveries/s offered, the same for every server.
    loaded: (n) => Math.max(5, Math.round(50_000 / n)),
  },
};

function log(line) {
  process.stdout.write(`${line}\n`);
}

function machine() {
  const limit = openFileLimit();
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown CPU',
    cores: os.cpus().length,
    memGiB: Math.round(os.totalmem() / 1024 ** 3),
    kernel: os.release(),
    node: process.version,
    date: `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    openFiles: limit,
    ulimitNote:
      limit < WANTED_OPEN_FILES
        ? `could not raise it to ${WANTED_OPEN_FILES}: ${limit >= 10_100 ? 'enough' : 'NOT enough'} for 10,000 clients, whose sockets are spread over processes`
        : '',
  };
}

async function main() {
  const missing = ['nc', 'ncat', 'socat', 'iperf3'].filter((c) => !hasCommand(c));
  if (missing.length > 0) {
    console.error(`bench: missing ${missing.join(', ')}: apt-get install netcat-openbsd ncat socat iperf3`);
    process.exit(1);
  }
  if (!existsSync(rocket[rocket.length - 1]) && !flags.rocket) {
    console.error(`bench: ${rocket[rocket.length - 1]} not found: run npm run build first`);
    process.exit(1);
  }
  const started = Date.now();
  const results = {
    machine: machine(),
    options: {
      quick,
      reps,
      rawBytes,
      clientCounts,
      rocket: rocket.join(' '),
      cpus,
      roomPlan: { ...roomPlan, rates: undefined },
      label: `${quick ? 'quick' : 'default'}, ${reps} repetition(s)${cpus ? `; raw and UDP ends pinned to CPUs ${cpus[0]} and ${cpus[1]}` : '; nothing pinned'}`,
    },
  };
  log(`rocket bench: ${results.options.label}; rocket = ${rocket.join(' ')}`);
  log(
    `machine: ${results.machine.cpu}, ${results.machine.cores} cores, ulimit -n ${results.machine.openFiles}${results.machine.ulimitNote ? ` (${results.machine.ulimitNote})` : ''}`,
  );

  if (only.has('startup')) {
    log('startup');
    results.startup = startup({
      commands: [
        { name: 'node -e 0', argv: [process.execPath, '-e', '0'] },
        { name: 'rocket --version', argv: [...rocket, '--version'] },
        { name: 'rocket port 22', argv: [...rocket, 'port', '22'] },
        // The single-file build (scripts/bundle.mjs), when it is there and not already the bin.
        ...(existsSync(bundle) && !rocket.includes(bundle)
          ? [{ name: 'rocket --version (dist/rocket.mjs)', argv: [process.execPath, bundle, '--version'] }]
          : []),
      ],
      runs: quick ? 5 : 20,
      log,
    });
  }
  if (only.has('raw')) {
    log(`raw pipe: ${(rawBytes / 1024 ** 2).toFixed(0)} MiB x ${reps}`);
    results.raw = await rawPipe({ rocket, bytes: rawBytes, reps, cpus, log });
  }
  if (only.has('room')) {
    results.room = [];
    for (const n of clientCounts) {
      const servers = n <= 1000 ? ['rocket', 'ncat'] : ['rocket'];
      const nReps = n >= 10_000 ? 1 : reps;
      log(`room: ${n} clients x ${nReps} (${servers.join(', ')})`);
      for (let rep = 0; rep < nReps; rep++) {
        for (const server of servers)
          results.room.push({ rep, ...(await roomRun({ server, rocket, clients: n, plan: roomPlan, log })) });
      }
    }
  }
  if (only.has('udp')) {
    log('udp room');
    results.udp = [];
    const count = quick ? 20_000 : 100_000;
    for (let rep = 0; rep < reps; rep++) {
      for (const size of [100, 1200]) {
        for (const rate of [20_000, 0]) {
          for (const relay of ['rocket', 'socat'])
            results.udp.push({ rep, ...(await udpRun({ relay, rocket, size, count, rate, cpus, log })) });
        }
      }
    }
  }

  results.seconds = (Date.now() - started) / 1000;
  const report = buildReport(results);
  mkdirSync(outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const base = path.join(outDir, `${stamp}${quick ? '-quick' : ''}`);
  writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(`${base}.md`, `${report}\n`);
  const chart = results.room?.length ? buildChart(results) : '';
  if (chart) writeFileSync(`${base}.svg`, chart);
  if (chart && flags.publish) copyFileSync(`${base}.svg`, path.join(root, 'bench', 'fanout.svg'));
  log('');
  log(report);
  log(`raw results: ${base}.json (${Math.round(results.seconds)} s in all)`);
}

main()
  .catch((err) => {
    console.error(`bench: ${err.stack ?? err}`);
    process.exitCode = 1;
  })
  .finally(() => {
    killAll();
    setTimeout(() => process.exit(), 100).unref();
  });
