import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertCliBuilt, CLI_PATH } from './spawn-cli.js';

export { CLI_PATH };

/**
 * Black-box helpers: spawn the built CLI or a real peer (nc, socat, python3), collect
 * what it prints line by line, wait for a line with a deadline, and kill whatever is left
 * after each test (`afterEach(cleanupAll)`).
 *
 * spawn-cli.ts runs the CLI alone; this file runs any program with one API, because a
 * chat test drives rocket, nc and python side by side, waits for lines after a mark and
 * for JSON events, and decodes a peer's output in its own encoding (gbk for nc -u).
 */

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const PYTHON_DIR = fileURLToPath(new URL('../peers/python/', import.meta.url));

const DEFAULT_TIMEOUT_MS = 5000;

/** Something that turns bytes into text, holding incomplete characters between chunks. */
export interface StreamDecoder {
  write(chunk: Buffer): string;
  end(): string;
}

/**
 * A decoder independent of rocket's own codec (Node's ICU TextDecoder, not iconv-lite), so
 * a test does not check rocket's encoding with the library rocket uses.
 */
export function textDecoder(encoding = 'utf-8'): StreamDecoder {
  const decoder = new TextDecoder(encoding);
  return {
    write: (chunk) => decoder.decode(chunk, { stream: true }),
    end: () => decoder.decode(),
  };
}

export interface WaitOptions {
  /** Only lines at or after this index count (from `mark()`); default 0, every line. */
  since?: number;
  timeoutMs?: number;
}

/** Lines received on one stream, with waits that end on a match, on the end of the stream, or at a deadline. */
export class LineLog {
  readonly lines: string[] = [];
  readonly chunks: Buffer[] = [];
  private partial = '';
  private finished = false;
  private readonly events = new EventEmitter();

  constructor(
    readonly name: string,
    private readonly decoder: StreamDecoder = textDecoder(),
  ) {
    this.events.setMaxListeners(0);
  }

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.addText(this.decoder.write(chunk));
  }

  end(): void {
    if (this.finished) return;
    this.addText(this.decoder.end());
    if (this.partial !== '') this.lines.push(this.partial);
    this.partial = '';
    this.finished = true;
    this.events.emit('change');
  }

  get ended(): boolean {
    return this.finished;
  }

  /** Everything received so far, as text. */
  get text(): string {
    return this.lines.map((l) => `${l}\n`).join('') + this.partial;
  }

  /** Every byte received so far. */
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** The index the next line will have; pass it as `since` to wait only for later lines. */
  mark(): number {
    return this.lines.length;
  }

  matching(pattern: RegExp, since = 0): string[] {
    return this.lines.slice(since).filter((l) => pattern.test(l));
  }

  /** Resolves with the first line (at or after `since`) that matches. */
  waitFor(pattern: RegExp, options: WaitOptions = {}): Promise<string> {
    const since = options.since ?? 0;
    return this.waitUntil(
      () => this.lines.slice(since).find((l) => pattern.test(l)),
      `a line matching ${pattern}`,
      options.timeoutMs,
    );
  }

  /** Resolves with the first `count` lines that match. */
  waitForCount(pattern: RegExp, count: number, options: WaitOptions = {}): Promise<string[]> {
    const since = options.since ?? 0;
    return this.waitUntil(
      () => {
        const found = this.matching(pattern, since);
        return found.length >= count ? found.slice(0, count) : undefined;
      },
      `${count} lines matching ${pattern}`,
      options.timeoutMs,
    );
  }

  /** Resolves with the first JSON line (at or after `since`) for which `predicate` holds. */
  waitForJson<T = Record<string, unknown>>(
    predicate: (value: Record<string, unknown>) => boolean,
    options: WaitOptions & { what?: string } = {},
  ): Promise<T> {
    const since = options.since ?? 0;
    return this.waitUntil(
      () => this.json(since).find(predicate) as T | undefined,
      options.what ?? 'a matching JSON line',
      options.timeoutMs,
    );
  }

  /** Every line that parses as a JSON object. */
  json(since = 0): Record<string, unknown>[] {
    const values: Record<string, unknown>[] = [];
    for (const line of this.lines.slice(since)) {
      if (!line.startsWith('{')) continue;
      try {
        values.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not JSON: ignore
      }
    }
    return values;
  }

  /** Waits until the stream has ended (the process closed it or the socket closed). */
  waitForEnd(timeoutMs?: number): Promise<true> {
    return this.waitUntil(
      () => (this.finished ? true : undefined),
      'the end of the stream',
      timeoutMs,
      false,
    );
  }

  describe(lastLines = 12): string {
    const tail = this.lines.slice(-lastLines);
    if (this.partial !== '') tail.push(`${this.partial} [no newline]`);
    return `${this.name}${this.finished ? ' (ended)' : ''}: ${tail.length === 0 ? '(nothing)' : `\n    ${tail.join('\n    ')}`}`;
  }

  private waitUntil<T>(
    probe: () => T | undefined,
    what: string,
    timeoutMs = DEFAULT_TIMEOUT_MS,
    failOnEnd = true,
  ): Promise<T> {
    const now = probe();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise<T>((resolve, reject) => {
      const fail = (why: string): void => {
        cleanup();
        reject(new Error(`${why} waiting for ${what} on ${this.describe()}`));
      };
      const check = (): void => {
        const value = probe();
        if (value !== undefined) {
          cleanup();
          resolve(value);
        } else if (failOnEnd && this.finished) {
          fail('stream ended');
        }
      };
      const timer = setTimeout(() => fail(`timed out after ${timeoutMs} ms`), timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.events.off('change', check);
      };
      this.events.on('change', check);
      if (failOnEnd && this.finished) fail('stream ended');
    });
  }

  private addText(text: string): void {
    if (text === '') return;
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    for (const part of parts) this.lines.push(part.replace(/\r$/, ''));
    this.events.emit('change');
  }
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface PeerOptions {
  /** Name used in failure messages; default the command. */
  name?: string;
  env?: NodeJS.ProcessEnv;
  /** Decoders for the child's output; default UTF-8. */
  stdoutDecoder?: StreamDecoder;
}

/** A child process with its output collected line by line. */
export class Peer {
  readonly child: ChildProcess;
  readonly stdout: LineLog;
  readonly stderr: LineLog;
  readonly exited: Promise<ExitInfo>;
  exitInfo: ExitInfo | undefined;
  readonly name: string;

  constructor(command: string, args: string[], options: PeerOptions = {}) {
    this.name = options.name ?? [command, ...args].join(' ');
    this.stdout = new LineLog(`${this.name} stdout`, options.stdoutDecoder);
    this.stderr = new LineLog(`${this.name} stderr`);
    this.child = spawn(command, args, {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        PYTHONUNBUFFERED: '1',
        PYTHONIOENCODING: 'utf-8',
        NO_COLOR: '1',
        ...options.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // A child that exits before reading everything we wrote must not fail the test with EPIPE.
    this.child.stdin!.on('error', () => {});
    this.child.stdout!.on('data', (chunk: Buffer) => this.stdout.push(chunk));
    this.child.stderr!.on('data', (chunk: Buffer) => this.stderr.push(chunk));
    this.child.stdout!.on('end', () => this.stdout.end());
    this.child.stderr!.on('end', () => this.stderr.end());
    this.exited = new Promise((resolve) => {
      this.child.on('error', (err) => {
        this.stderr.push(Buffer.from(`spawn failed: ${err.message}\n`));
        this.exitInfo = { code: -1, signal: null };
        resolve(this.exitInfo);
      });
      // 'close' comes after the output streams are drained, so everything printed is in the logs.
      this.child.on('close', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
    live.add(this);
    void this.exited.then(() => live.delete(this));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** Writes to the child's stdin and resolves once it was handed to the pipe. */
  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.child.stdin!.write(data, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Closes the child's stdin (EOF). */
  endInput(): void {
    this.child.stdin!.end();
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** Resolves with how the process ended; rejects with its output if it is still running at the deadline. */
  async waitExit(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<ExitInfo> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.name} still running after ${timeoutMs} ms\n${this.describe()}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  describe(): string {
    return `${this.stdout.describe()}\n${this.stderr.describe()}`;
  }
}

const live = new Set<Peer>();
const cleanups: Array<() => void | Promise<void>> = [];

/** Registers something (a socket, a server) for `cleanupAll` to close. */
export function onCleanup(cleanup: () => void | Promise<void>): void {
  cleanups.push(cleanup);
}

/** Kills every child still running (SIGKILL) and runs the registered cleanups; use in afterEach. */
export async function cleanupAll(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch {
      // best effort: the next cleanup still runs
    }
  }
  const peers = [...live];
  for (const peer of peers) peer.signal('SIGKILL');
  await Promise.all(peers.map((peer) => peer.waitExit(5000).catch(() => undefined)));
}

export function spawnPeer(command: string, args: string[], options: PeerOptions = {}): Peer {
  return new Peer(command, args, options);
}

/**
 * Runs the built CLI (`node dist/cli/main.js ...args`). Each run gets its own empty
 * XDG_DATA_HOME, removed by `cleanupAll`: a room keeps its letter store there, and rooms
 * of tests running side by side must not share (and lock) the user's real one.
 */
export function spawnCli(args: string[], options: PeerOptions = {}): Peer {
  assertCliBuilt();
  const dataHome = mkdtempSync(join(tmpdir(), 'rocket-test-'));
  const peer = new Peer(process.execPath, [CLI_PATH, ...args], {
    name: `rocket ${args.join(' ')}`,
    ...options,
    env: { XDG_DATA_HOME: dataHome, ...options.env },
  });
  onCleanup(async () => {
    // After the process has gone, so nothing writes into the folder while it is removed.
    if (peer.running) peer.signal('SIGKILL');
    await peer.exited;
    rmSync(dataHome, { recursive: true, force: true });
  });
  return peer;
}

/** Runs one of the tutorial-style Python programs in test/peers/python/. */
export function spawnPython(script: string, args: string[], options: PeerOptions = {}): Peer {
  return new Peer('python3', [`${PYTHON_DIR}${script}`, ...args], {
    name: `python ${script} ${args.join(' ')}`,
    ...options,
  });
}

/** Runs a command to its end and returns its exit status and output. */
export async function runCli(
  args: string[],
  timeoutMs = 10_000,
): Promise<{ exit: ExitInfo; stdout: string; stderr: string }> {
  const peer = spawnCli(args);
  peer.endInput();
  const exit = await peer.waitExit(timeoutMs);
  return { exit, stdout: peer.stdout.text, stderr: peer.stderr.text };
}

const LISTENING = /^Listening on (\S+) (\d+) \((tcp|udp)\)/;

/**
 * Starts `rocket listen 0 ...args` with its stdin a pipe the test controls (so the room's
 * own member can speak), and waits for the "Listening on HOST PORT (tcp)" line on stderr.
 */
export async function startRoom(args: string[], timeoutMs = 10_000): Promise<{ room: Peer; port: number }> {
  const room = spawnCli(['listen', '0', ...args]);
  const line = await room.stderr.waitFor(LISTENING, { timeoutMs });
  const port = Number(LISTENING.exec(line)![2]);
  return { room, port };
}

/** Parses the port from a `Listening on HOST PORT (proto)` line. */
export function listeningPort(line: string): number {
  const match = LISTENING.exec(line);
  if (!match) throw new Error(`not a Listening line: ${line}`);
  return Number(match[2]);
}

/** Resolves as `promise` does, or rejects once `timeoutMs` has passed. */
export async function withDeadline<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
