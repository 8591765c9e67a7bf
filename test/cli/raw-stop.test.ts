import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, startRocket } from '../helpers/raw-procs.js';

const sockets: net.Socket[] = [];
const dirs: string[] = [];
const cleanups: Array<() => void> = [];
afterEach(() => {
  killAll();
  for (const cleanup of cleanups.splice(0)) cleanup();
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** Connects to the raw listener and writes 16 MiB of zeros at it, far more than pipes hold. */
async function flood(port: number): Promise<void> {
  const socket = net.connect(port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => {}); // reset when rocket goes away: expected here
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(Buffer.alloc(16 * 1024 * 1024));
}

/** The kernel function a process sleeps in: "pipe_write" while blocked writing a full pipe. */
const BLOCKED_WRITING = /pipe_write/;

function waitChannel(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/wchan`, 'utf8');
  } catch {
    return '';
  }
}

describe('stopping rocket listen --raw', () => {
  it('ends at once on SIGTERM while its stdout is full and nobody reads it (as nc does)', async () => {
    // Its stdout is a named pipe that we hold open for reading but never read: the pipe
    // fills and rocket waits inside write(2).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rocket-raw-stop-'));
    dirs.push(dir);
    const fifo = path.join(dir, 'out.fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    cleanups.push(() => fs.closeSync(reader));
    const rocket = startRocket(['listen', '0', '--raw', '--host', '127.0.0.1'], 'ignore', { file: fifo });
    const [, port] = await rocket.waitForStderr(/Listening on \S+ (\d+) \(tcp\)/);
    await flood(Number(port));
    const pid = rocket.child.pid!;
    // No event says "blocked in write": poll the kernel's view of the process, bounded.
    const deadline = Date.now() + 10_000;
    while (!BLOCKED_WRITING.test(waitChannel(pid)) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(waitChannel(pid)).toMatch(BLOCKED_WRITING);

    rocket.child.kill('SIGTERM');
    expect(await rocket.waitForExit(5000)).toMatchObject({ signal: 'SIGTERM' });
  });

  it('stops cleanly on SIGTERM when stdout is a file, with what arrived written out', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rocket-raw-stop-'));
    dirs.push(dir);
    const out = path.join(dir, 'out.bin');
    // stdin stays open (a pipe), so the transfer runs until the signal.
    const rocket = startRocket(['listen', '0', '--raw', '--host', '127.0.0.1'], 'pipe', { file: out });
    const [, port] = await rocket.waitForStderr(/Listening on \S+ (\d+) \(tcp\)/);
    const socket = net.connect(Number(port), '127.0.0.1');
    sockets.push(socket);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('hello\n');
    // Written out means received: wait for the file to hold it, then stop rocket.
    const deadline = Date.now() + 10_000;
    while (fs.statSync(out).size < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));

    rocket.child.kill('SIGTERM');
    const exit = await rocket.waitForExit(5000);
    expect(exit, rocket.stderr()).toMatchObject({ code: 0, signal: null });
    expect(fs.readFileSync(out, 'utf8')).toBe('hello\n');
  });
});
