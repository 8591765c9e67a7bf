import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Clock ticks per second for /proc/<pid>/stat (USER_HZ; 100 on every Linux we know). */
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** Every process the bench started and has not seen exit: killed on the way out, whatever happens. */
const live = new Set();

export function killAll() {
  for (const child of live) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      try {
        child.kill('SIGKILL');
      } catch {}
    }
  }
  live.clear();
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}
process.on('exit', killAll);

/**
 * Starts a process in its own process group (so killing it takes its children too) and
 * remembers it until it exits. `exited` resolves with { code, signal } once it is gone.
 */
export function start(command, args, options = {}) {
  const child = spawn(command, args, { detached: true, ...options });
  live.add(child);
  child.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
    child.once('error', (err) => {
      live.delete(child);
      resolve({ code: -1, signal: null, error: err });
    });
  });
  return child;
}

/** Stops a process group: SIGTERM, then SIGKILL after `graceMs`. */
export async function stop(child, graceMs = 2000) {
  if (child.exitCode !== null || child.signalCode !== null) return child.exited;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {}
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
  }, graceMs);
  const result = await child.exited;
  clearTimeout(timer);
  return result;
}

/** Waits for a process to exit, at most `timeoutMs`; then kills it and says so. */
export async function waitExit(child, timeoutMs) {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
  }, timeoutMs);
  const result = await child.exited;
  clearTimeout(timer);
  return { ...result, timedOut };
}

/** CPU seconds (user + system) a live process has used so far, from /proc. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}

/** Resident set size and its peak, in MiB, from /proc/<pid>/status. */
export function memoryMiB(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  } catch {
    return { rss: Number.NaN, peak: Number.NaN };
  }
}

/** Pids of a process and all its descendants (a bash wrapper and what it started). */
export function processTree(pid) {
  const out = spawnSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' }).stdout;
  const children = new Map();
  for (const line of out.split('\n')) {
    const [p, pp] = line.trim().split(/\s+/).map(Number);
    if (!p) continue;
    if (!children.has(pp)) children.set(pp, []);
    children.get(pp).push(p);
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]) ?? []));
  return tree;
}

/**
 * A port nobody listens on right now, for peers (nc, ncat, socat) that must be told one.
 * rocket itself gets port 0 where it can and reports the real one.
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** True once something listens on 127.0.0.1:port (read from /proc/net/tcp, so no connection is made). */
export function isListening(port) {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  try {
    return readFileSync('/proc/net/tcp', 'utf8')
      .split('\n')
      .some((line) => {
        const cols = line.trim().split(/\s+/);
        return cols[1]?.endsWith(hex) && cols[3] === '0A';
      });
  } catch {
    return false;
  }
}

/**
 * Number of connections whose local port is `port` (the server's side), from /proc: established
 * or half-closed (a receive-only peer shuts down its sending half at once).
 */
export function connectionsTo(port) {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  try {
    return readFileSync('/proc/net/tcp', 'utf8')
      .split('\n')
      .filter((line) => {
        const cols = line.trim().split(/\s+/);
        return cols[1]?.endsWith(hex) && ['01', '04', '05', '07', '08'].includes(cols[3]);
      }).length;
  } catch {
    return 0;
  }
}

/** Polls `check` every `everyMs` until it returns true or `timeoutMs` passes; returns whether it did. */
export async function until(check, timeoutMs, everyMs = 10) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
}

/** Collects a stream's text (stderr of a peer, say), capped so a chatty process cannot grow it. */
export function collect(stream, capBytes = 64 * 1024) {
  const box = { text: '' };
  stream?.setEncoding('utf8');
  stream?.on('data', (s) => {
    if (box.text.length < capBytes) box.text += s;
  });
  return box;
}

/** The soft limit on open files in force for children of this process. */
export function openFileLimit() {
  const out = spawnSync('bash', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim();
  return out === 'unlimited' ? Number.POSITIVE_INFINITY : Number(out);
}

export function hasCommand(name) {
  return spawnSync('bash', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

export function now() {
  return performance.now();
}

/**
 * Where the two ends of a transfer run. On a small machine the scheduler's placement decides
 * as much as the tools do: on 2 cores the same raw transfer took 0.6 or 1.6 GiB/s depending on
 * whether the sender and receiver happened to share a core. Pinning each end to a core of its
 * own (as two machines would be) with taskset takes that out, and is the same for every tool.
 * Two CPU numbers, or null when pinning is off, taskset is missing or fewer than two CPUs
 * are allowed.
 */
export function cpuPlan(enabled) {
  if (!enabled || !hasCommand('taskset')) return null;
  const line = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '';
  const cpus = line.split(',').flatMap((part) => {
    const [lo, hi = lo] = part.split('-').map(Number);
    return Number.isInteger(lo) && Number.isInteger(hi)
      ? Array.from({ length: hi - lo + 1 }, (_, i) => lo + i)
      : [];
  });
  return cpus.length >= 2 ? [cpus[0], cpus[1]] : null;
}

/** argv run on one CPU (taskset -c), or unchanged when cpu is undefined. */
export function pinned(cpu, argv) {
  return cpu === undefined ? argv : ['taskset', '-c', String(cpu), ...argv];
}

/** Moves a running process (every thread of it) to one CPU; for forked Node helpers. */
export function pinProcess(cpu, pid) {
  if (cpu !== undefined)
    spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
}
