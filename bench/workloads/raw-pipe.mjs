/**
 * Workload 1, raw pipe: BYTES of zeros from a pipe on stdin, through a sender to a receiver on
 * 127.0.0.1, out of the receiver's stdout into a pipe, for rocket --raw and for nc, socat,
 * socat -b 131072 and ncat; iperf3 (memory to memory, no pipes) is the ceiling.
 *
 *   dd if=/dev/zero | SENDER ==tcp==> RECEIVER | dd of=/dev/null
 *
 * The source waits until the sender is connected before it writes, so startup is not part of
 * the transfer time. CPU is what the sender and receiver used (from bash's `times`, which
 * reads getrusage of its children), per GiB moved; the source and sink are not counted.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  collect,
  connectionsTo,
  freePort,
  isListening,
  pinned,
  start,
  stop,
  until,
  waitExit,
} from '../lib/proc.mjs';

const GiB = 1024 ** 3;

/** Sender and receiver command lines per tool; `rocket` is filled in from the CLI path. */
export function rawTools(rocket) {
  return [
    {
      name: 'rocket',
      recv: (p) => [...rocket, 'listen', String(p), '--raw', '--host', '127.0.0.1'],
      send: (p) => [...rocket, 'connect', '127.0.0.1', String(p), '--raw'],
    },
    {
      name: 'nc',
      recv: (p) => ['nc', '-l', '127.0.0.1', String(p)],
      send: (p) => ['nc', '-N', '127.0.0.1', String(p)],
    },
    {
      name: 'socat',
      recv: (p) => ['socat', '-u', `TCP-LISTEN:${p},bind=127.0.0.1,reuseaddr`, 'STDOUT'],
      send: (p) => ['socat', '-u', 'STDIN', `TCP:127.0.0.1:${p}`],
    },
    {
      name: 'socat -b 131072',
      recv: (p) => ['socat', '-u', '-b', '131072', `TCP-LISTEN:${p},bind=127.0.0.1,reuseaddr`, 'STDOUT'],
      send: (p) => ['socat', '-u', '-b', '131072', 'STDIN', `TCP:127.0.0.1:${p}`],
    },
    {
      name: 'ncat',
      recv: (p) => ['ncat', '-l', '127.0.0.1', String(p), '--recv-only'],
      send: (p) => ['ncat', '--send-only', '127.0.0.1', String(p)],
    },
  ];
}

/** Runs a command under bash, its stdin/stdout redirected, and writes its rusage to timesFile. */
function wrapped(argv, { stdin, stdout, timesFile, cpu }) {
  const script = `"$@" ${stdin ? '< "$RB_IN"' : '< /dev/null'} ${stdout ? '> "$RB_OUT"' : '> /dev/null'}; rc=$?; times > "$RB_TIMES"; exit $rc`;
  return start('bash', ['-c', script, 'bench', ...pinned(cpu, argv)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, RB_IN: stdin ?? '', RB_OUT: stdout ?? '', RB_TIMES: timesFile },
  });
}

/** Children's user+system seconds from bash's `times` output (its second line). */
function childCpu(timesFile) {
  try {
    const lines = readFileSync(timesFile, 'utf8').trim().split('\n');
    const seconds = [...lines[1].matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
    return seconds[0] + seconds[1];
  } catch {
    return Number.NaN;
  }
}

/**
 * cpus: [sending end, receiving end] when pinned (see cpuPlan): the source and the sender
 * share one core, the receiver and the sink the other.
 */
async function runPipe(tool, bytes, dir, timeoutMs, cpus) {
  const [sendCpu, recvCpu] = cpus ?? [];
  const port = await freePort();
  const fifoIn = path.join(dir, 'in.fifo');
  const fifoOut = path.join(dir, 'out.fifo');
  const recvTimes = path.join(dir, 'recv.times');
  const sendTimes = path.join(dir, 'send.times');
  rmSync(recvTimes, { force: true });
  rmSync(sendTimes, { force: true });
  const [sinkCmd, ...sinkArgs] = pinned(recvCpu, ['dd', `if=${fifoOut}`, 'of=/dev/null', 'bs=1M']);
  const sink = start(sinkCmd, sinkArgs, {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const sinkErr = collect(sink.stderr);
  const receiver = wrapped(tool.recv(port), { stdout: fifoOut, timesFile: recvTimes, cpu: recvCpu });
  const recvErr = collect(receiver.stderr);
  const result = { tool: tool.name, bytes, ok: false };
  try {
    if (!(await until(() => isListening(port), 10_000)))
      throw new Error(`receiver never listened: ${recvErr.text}`);
    const count = Math.ceil(bytes / (1024 * 1024));
    const source = start(
      'bash',
      [
        '-c',
        'exec > "$RB_IN"; read -r _; exec "$@" dd if=/dev/zero bs=1M count="$RB_COUNT" status=none',
        'source',
        ...pinned(sendCpu, []),
      ],
      {
        stdio: ['pipe', 'ignore', 'ignore'],
        env: { ...process.env, RB_IN: fifoIn, RB_COUNT: String(count) },
      },
    );
    const sender = wrapped(tool.send(port), { stdin: fifoIn, timesFile: sendTimes, cpu: sendCpu });
    const sendErr = collect(sender.stderr);
    if (!(await until(() => connectionsTo(port) > 0, 10_000)))
      throw new Error(`sender never connected: ${sendErr.text}`);
    await sleep(100); // let the sender reach its first read of stdin
    const t0 = performance.now();
    source.stdin.end('go\n');
    const sinkDone = await waitExit(sink, timeoutMs);
    const seconds = (performance.now() - t0) / 1000;
    const [sent, received] = await Promise.all([waitExit(sender, 10_000), waitExit(receiver, 10_000)]);
    await waitExit(source, 1000);
    const moved = Number(/^(\d+) bytes/m.exec(sinkErr.text)?.[1] ?? 0);
    const cpu = childCpu(sendTimes) + childCpu(recvTimes);
    Object.assign(result, {
      ok: !sinkDone.timedOut && moved === count * 1024 * 1024 && sent.code === 0 && received.code === 0,
      moved,
      seconds,
      gibPerSecond: moved / GiB / seconds,
      cpuSeconds: cpu,
      cpuPerGiB: cpu / (moved / GiB),
      exit: { sender: sent.code, receiver: received.code, timedOut: sinkDone.timedOut },
      stderr: `${sendErr.text}${recvErr.text}`.trim().slice(0, 400),
    });
  } catch (err) {
    result.error = err.message;
  } finally {
    await Promise.all([stop(receiver), stop(sink)]);
  }
  return result;
}

async function runIperf(bytes, dir, timeoutMs, cpus) {
  const [sendCpu, recvCpu] = cpus ?? [];
  const port = await freePort();
  const srvTimes = path.join(dir, 'iperf-s.times');
  const cliTimes = path.join(dir, 'iperf-c.times');
  const server = wrapped(['iperf3', '-s', '-1', '-B', '127.0.0.1', '-p', String(port)], {
    timesFile: srvTimes,
    cpu: recvCpu,
  });
  const result = { tool: 'iperf3', bytes, ok: false };
  try {
    if (!(await until(() => isListening(port), 10_000))) throw new Error('iperf3 -s never listened');
    const client = start(
      'bash',
      [
        '-c',
        '"$@"; rc=$?; times > "$RB_TIMES"; exit $rc',
        'iperf',
        ...pinned(sendCpu, ['iperf3']),
        '-c',
        '127.0.0.1',
        '-p',
        String(port),
        '-n',
        String(bytes),
        '-J',
      ],
      { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, RB_TIMES: cliTimes } },
    );
    const out = collect(client.stdout, 4 * 1024 * 1024);
    const done = await waitExit(client, timeoutMs);
    await waitExit(server, 5000);
    const report = JSON.parse(out.text);
    const received = report.end.sum_received;
    const cpu = childCpu(cliTimes) + childCpu(srvTimes);
    Object.assign(result, {
      // iperf3's receiver summary can stop a few segments short of -n; 1 % slack.
      ok: !done.timedOut && received.bytes >= bytes * 0.99,
      exit: { client: done.code, timedOut: done.timedOut },
      moved: received.bytes,
      seconds: received.seconds,
      gibPerSecond: received.bytes / GiB / received.seconds,
      cpuSeconds: cpu,
      cpuPerGiB: cpu / (received.bytes / GiB),
    });
  } catch (err) {
    result.error = err.message;
  } finally {
    await stop(server);
  }
  return result;
}

/** Every tool, `reps` times, interleaved so a slow moment of the machine hits all alike. */
export async function rawPipe({ rocket, bytes, reps, cpus, log }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'rocket-bench-'));
  const { execFileSync } = await import('node:child_process');
  execFileSync('mkfifo', [path.join(dir, 'in.fifo'), path.join(dir, 'out.fifo')]);
  const tools = rawTools(rocket);
  const runs = [];
  const timeoutMs = Math.max(60_000, (bytes / GiB) * 60_000);
  try {
    for (let rep = 0; rep < reps; rep++) {
      for (const tool of tools) {
        const r = await runPipe(tool, bytes, dir, timeoutMs, cpus);
        runs.push({ rep, ...r });
        log(
          `  raw ${tool.name.padEnd(16)} rep ${rep + 1}: ${r.ok ? `${r.gibPerSecond.toFixed(2)} GiB/s, ${r.cpuPerGiB.toFixed(2)} CPU s/GiB` : `FAILED ${r.error ?? JSON.stringify(r.exit)} ${r.stderr ?? ''}`}`,
        );
      }
      const r = await runIperf(bytes, dir, timeoutMs, cpus);
      runs.push({ rep, ...r });
      log(
        `  raw iperf3           rep ${rep + 1}: ${r.ok ? `${r.gibPerSecond.toFixed(2)} GiB/s, ${r.cpuPerGiB.toFixed(2)} CPU s/GiB` : `FAILED ${r.error ?? JSON.stringify(r)}`}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return runs;
}
