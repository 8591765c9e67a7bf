/**
 * Workloads 2, 3 and 6 on one room server: N plain TCP clients join (join time: until every
 * client has its two greeting lines), the room settles (rocket announces each silent client
 * 500 ms after it connects; ncat announces at once), the server's RSS is read with the clients
 * idle, and then 4 of the clients send test lines in three phases:
 *
 * - paced:  a light, fixed rate, for latency p50/p99;
 * - loaded: a fixed offered rate (the same for every server at a given N);
 * - blast:  a bounded burst, sent as fast as TCP backpressure lets the senders write.
 *
 * Each phase waits until every client has every line or nothing has arrived for a while, then
 * counts valid, corrupt and missing lines, latency, server CPU per delivered line and the load
 * generator's CPU. The clients live in worker processes (room-client.mjs), a share each; the
 * 4 senders live in a process of their own so that receiving does not slow sending.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { collect, cpuSeconds, freePort, isListening, memoryMiB, start, stop, until } from '../lib/proc.mjs';
import { HIST_BUCKETS, mergeHistograms, percentileMs } from '../lib/stats.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const SENDERS = 4;
const ROCKET_BENCH_FLAGS = [
  '--max-conns-per-ip',
  '20000',
  '--rate',
  '1000000',
  '--rate-bytes',
  '1000000000',
  '--no-store',
];
/** A phase fails safe: the server is stopped if it grows past this (a runaway queue). */
const RSS_GUARD_MIB = 6 * 1024;

export function roomServers(rocket) {
  return {
    // The room's per-address cap (200) and per-connection message rate (100/s) are policies for
    // the internet; every bench client comes from 127.0.0.1 and the senders go faster.
    rocket: (port) => ({
      argv: [...rocket, 'listen', String(port), '--host', '127.0.0.1', ...ROCKET_BENCH_FLAGS],
    }),
    // --max-conns: ncat's default is 100 connections.
    ncat: (port) => ({ argv: ['ncat', '-l', '127.0.0.1', String(port), '--chat', '--max-conns', '20000'] }),
  };
}

function nowUs() {
  const [s, ns] = process.hrtime();
  return s * 1e6 + Math.floor(ns / 1000);
}

/** One forked client process with a request/response helper over IPC. */
function forkClients(name) {
  const child = fork(path.join(here, 'room-client.mjs'), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiters = [];
  child.on('message', (msg) => {
    const i = waiters.findIndex((w) => w.ev === msg.ev);
    if (i >= 0) waiters.splice(i, 1)[0].resolve(msg);
  });
  child.on('exit', () => {
    for (const w of waiters.splice(0)) w.resolve({ ev: w.ev, dead: true });
  });
  return {
    name,
    child,
    pid: child.pid,
    next(ev, timeoutMs = 600_000) {
      return new Promise((resolve) => {
        const waiter = { ev, resolve };
        waiters.push(waiter);
        setTimeout(() => {
          const i = waiters.indexOf(waiter);
          if (i >= 0) {
            waiters.splice(i, 1);
            resolve({ ev, timedOut: true });
          }
        }, timeoutMs).unref();
      });
    },
    ask(cmd, ev, timeoutMs) {
      const reply = this.next(ev, timeoutMs);
      if (child.connected) child.send(cmd);
      return reply;
    },
  };
}

async function gather(workers) {
  const all = await Promise.all(workers.map((w) => w.ask({ cmd: 'stats' }, 'stats', 30_000)));
  const total = {
    valid: 0,
    corrupt: 0,
    control: 0,
    duplicate: 0,
    bytes: 0,
    greeted: 0,
    lastRecvUs: 0,
    closed: 0,
    open: 0,
    hist: new Array(HIST_BUCKETS).fill(0),
    corruptSamples: [],
  };
  for (const s of all) {
    if (s.timedOut || s.dead) continue;
    for (const k of ['valid', 'corrupt', 'control', 'duplicate', 'bytes', 'greeted', 'closed', 'open'])
      total[k] += s[k];
    total.lastRecvUs = Math.max(total.lastRecvUs, s.lastRecvUs);
    mergeHistograms(total.hist, s.hist);
    total.corruptSamples.push(...s.corruptSamples);
  }
  return total;
}

function cpuOf(pids) {
  return pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
}

/** Waits until `stable` polls in a row show no new bytes at any client, or the deadline. */
async function waitQuiet(workers, { quietMs, timeoutMs, done, serverPid }) {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let quietSince = Date.now();
  let stats;
  for (;;) {
    stats = await gather(workers);
    const progress = stats.bytes + stats.closed;
    if (progress !== last) {
      last = progress;
      quietSince = Date.now();
    }
    if (done?.(stats)) return { stats, reason: 'complete' };
    if (Date.now() - quietSince >= quietMs) return { stats, reason: 'quiet' };
    if (Date.now() > deadline) return { stats, reason: 'timeout' };
    if (memoryMiB(serverPid).rss > RSS_GUARD_MIB) return { stats, reason: 'rss-guard' };
    await sleep(100);
  }
}

/**
 * One server, one N: join, settle, idle memory, then the three phases. `plan` holds the rates
 * (lines per second per sender), durations and bounds; see bench/run.mjs.
 */
export async function roomRun({ server, rocket, clients, plan, log }) {
  const port = await freePort();
  const spec = roomServers(rocket)[server](port);
  const proc = start(spec.argv[0], spec.argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr = collect(proc.stderr);
  const result = { server, clients, ok: false };
  const receiverProcs = clients <= 100 ? 1 : plan.workers;
  const workers = [];
  try {
    if (!(await until(() => isListening(port), 10_000)))
      throw new Error(`server never listened: ${stderr.text}`);
    const rssEmpty = memoryMiB(proc.pid).rss;
    const receivers = clients - SENDERS;
    for (let w = 0; w < receiverProcs; w++) workers.push(forkClients(`recv${w}`));
    const senderProc = forkClients('senders');
    workers.push(senderProc);
    const allPids = () => workers.map((w) => w.pid);

    // Join: every client connects (bounded concurrency per process) and reads its greeting.
    const cpu0 = cpuSeconds(proc.pid);
    const t0 = nowUs();
    const greeted = workers.map((w) => w.next('greeted', plan.joinTimeoutMs));
    workers.forEach((w, i) => {
      const share =
        w === senderProc
          ? SENDERS
          : Math.floor(receivers / receiverProcs) + (i < receivers % receiverProcs ? 1 : 0);
      w.child.send({
        cmd: 'join',
        host: '127.0.0.1',
        port,
        count: share,
        concurrency: plan.joinConcurrency[server],
        senders: w === senderProc,
        sendersCount: SENDERS,
      });
    });
    const joins = await Promise.all(greeted);
    const joinTimedOut = joins.some((j) => j.timedOut);
    const afterJoin = joinTimedOut ? await gather(workers) : undefined;
    const joinDone = Math.max(...joins.map((j) => j.lastGreetUs ?? 0));
    const joinFailed = joins.reduce((a, j) => a + (j.failed ?? 0), 0);
    const greetedCount = afterJoin ? afterJoin.greeted : joins.reduce((a, j) => a + (j.greeted ?? 0), 0);
    result.join = {
      seconds: joinTimedOut || joinFailed > 0 ? Number.NaN : (joinDone - t0) / 1e6,
      greeted: greetedCount,
      failed: joinFailed,
      timedOut: joinTimedOut,
      timeoutSeconds: plan.joinTimeoutMs / 1000,
      errors: Object.assign({}, ...joins.map((j) => j.errors ?? {})),
    };
    log(
      `  ${server} N=${clients}: ${Number.isFinite(result.join.seconds) ? `joined in ${result.join.seconds.toFixed(2)} s` : `only ${greetedCount} greeted within ${plan.joinTimeoutMs / 1000} s`}${joinFailed ? `, ${joinFailed} failed to connect` : ''}`,
    );

    // Settle: join announcements (rocket sends them 500 ms after a silent client connects).
    await sleep(700);
    const settled = await waitQuiet(workers, {
      quietMs: 1000,
      timeoutMs: plan.settleTimeoutMs,
      serverPid: proc.pid,
    });
    const tSettled = nowUs();
    result.settle = {
      seconds: (tSettled - t0) / 1e6 - result.join.seconds,
      reason: settled.reason,
      controlLines: settled.stats.control,
      bytes: settled.stats.bytes,
      closedClients: settled.stats.closed,
      serverCpuSeconds: cpuSeconds(proc.pid) - cpu0,
    };
    result.memory = {
      emptyMiB: rssEmpty,
      idleMiB: memoryMiB(proc.pid).rss,
      peakMiB: memoryMiB(proc.pid).peak,
    };
    log(
      `  ${server} N=${clients}: settled after ${result.settle.seconds.toFixed(1)} s (${settled.reason}), ${settled.stats.control} control lines, ${settled.stats.closed} clients dropped, server ${result.settle.serverCpuSeconds.toFixed(1)} CPU s, RSS ${result.memory.idleMiB.toFixed(0)} MiB`,
    );
    if (settled.reason === 'rss-guard') throw new Error('server RSS passed the guard while settling');

    result.phases = {};
    for (const phase of ['paced', 'loaded', 'blast']) {
      const rate = phase === 'blast' ? 0 : plan.rates[phase](clients);
      const maxLines =
        phase === 'blast'
          ? Math.max(64, Math.ceil(plan.blastDeliveries / (SENDERS * (clients - 1))))
          : Math.ceil((rate * plan.phaseMs) / 1000) + 1;
      await Promise.all(workers.map((w) => w.ask({ cmd: 'reset' }, 'reset', 30_000)));
      const open0 = (await gather(workers)).open;
      const serverCpu0 = cpuSeconds(proc.pid);
      const genCpu0 = cpuOf(allPids());
      const wall0 = performance.now();
      const sent = await senderProc.ask({ cmd: 'send', rate, durationMs: plan.phaseMs, maxLines }, 'sent');
      const linesSent = sent.sent.reduce((a, b) => a + b, 0);
      const expected = linesSent * (clients - 1);
      const waited = await waitQuiet(workers, {
        // A big room can spend seconds on one chunk of lines before any byte goes out.
        quietMs: clients >= 10_000 ? plan.quietMs * 3 : plan.quietMs,
        timeoutMs: plan.drainTimeoutMs,
        done: (s) => s.valid >= expected,
        serverPid: proc.pid,
      });
      const s = waited.stats;
      const wall = (performance.now() - wall0) / 1000;
      const serverCpu = cpuSeconds(proc.pid) - serverCpu0;
      const genCpu = cpuOf(allPids()) - genCpu0;
      const deliverSeconds = Math.max((s.lastRecvUs - sent.startedUs) / 1e6, 1e-3);
      const r = {
        rate,
        linesSent,
        expected,
        delivered: s.valid,
        missing: Math.max(expected - s.valid, 0),
        corrupt: s.corrupt,
        duplicate: s.duplicate,
        corruptSamples: s.corruptSamples.slice(0, 3),
        clientsDropped: open0 - s.open,
        end: waited.reason,
        sendSeconds: (sent.endedUs - sent.startedUs) / 1e6,
        deliverSeconds,
        deliveredPerSecond: s.valid / deliverSeconds,
        p50ms: percentileMs(s.hist, 50),
        p99ms: percentileMs(s.hist, 99),
        maxMs: percentileMs(s.hist, 100),
        serverCpuSeconds: serverCpu,
        serverCpuUsPerLine: (serverCpu * 1e6) / Math.max(s.valid, 1),
        loadGenCpuSeconds: genCpu,
        loadGenCpuPercent: (genCpu / wall) * 100,
        serverRssMiB: memoryMiB(proc.pid).rss,
      };
      result.phases[phase] = r;
      log(
        `  ${server} N=${clients} ${phase.padEnd(6)}: ${Math.round(r.deliveredPerSecond)} lines/s, p50 ${r.p50ms.toFixed(2)} ms, p99 ${r.p99ms.toFixed(2)} ms, missing ${r.missing}, corrupt ${r.corrupt}, dropped ${r.clientsDropped}, server ${r.serverCpuUsPerLine.toFixed(2)} µs/line, loadgen ${r.loadGenCpuPercent.toFixed(0)}% CPU (${r.end})`,
      );
      if (waited.reason === 'rss-guard') throw new Error('server RSS passed the guard');
    }
    result.ok = true;
  } catch (err) {
    result.error = err.message;
    log(`  ${server} N=${clients}: FAILED ${err.message}`);
  } finally {
    await Promise.all(workers.map((w) => w.ask({ cmd: 'close' }, 'closed', 10_000)));
    await stop(proc);
    for (const w of workers) w.child.kill('SIGKILL');
    result.serverStderr = stderr.text.slice(0, 500);
  }
  return result;
}
