import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import { PassThrough } from 'node:stream';
import { ByteSink } from './raw-streams.js';
import { CLI_PATH, exitWithin } from './spawn-cli.js';
import { waitUntil } from './wait.js';

/**
 * Child processes for raw-mode tests (rocket itself, nc, socat) with binary stdio: stdin
 * and stdout can be files (handed over as file descriptors, so 50 MB never passes through
 * the test process), `'pipe'`, or nothing. Stderr is collected as text for "Listening on"
 * style waits. `killAll()` in afterEach removes whatever is left.
 */

export type RawStdio = { file: string } | 'pipe' | 'ignore';

export interface RawProc {
  child: ChildProcess;
  /** Everything read from stdout when it is 'pipe' (hashed; kept when `keepStdout`). */
  stdout: ByteSink;
  stderr(): string;
  /** Resolves with the match of the first stderr line matching `pattern`; rejects at the deadline or exit. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit status; SIGKILLs the process and rejects at the deadline. */
  waitForExit(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();

export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/** `node dist/cli/main.js ...args` with binary stdio. */
export function startRocket(args: string[], stdin: RawStdio, stdout: RawStdio, keepStdout = false): RawProc {
  return startProc(process.execPath, [CLI_PATH, ...args], stdin, stdout, keepStdout);
}

export function startProc(
  command: string,
  args: string[],
  stdin: RawStdio,
  stdout: RawStdio,
  keepStdout = false,
): RawProc {
  const fds: number[] = [];
  const open = (io: RawStdio, flags: string): number | 'pipe' | 'ignore' => {
    if (typeof io === 'string') return io;
    const fd = fs.openSync(io.file, flags);
    fds.push(fd);
    return fd;
  };
  const child = spawn(command, args, { stdio: [open(stdin, 'r'), open(stdout, 'w'), 'pipe'] });
  for (const fd of fds) fs.closeSync(fd); // the child has its own copies now
  running.add(child);
  child.once('close', () => running.delete(child));
  child.stdin?.on('error', () => {}); // EPIPE when the child exits first: the exit status tells the story
  const sink = new ByteSink(keepStdout);
  child.stdout?.pipe(sink);
  let stderr = '';
  const stderrEvents = new PassThrough();
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
    stderrEvents.emit('text');
  });
  const closed = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  const describe = (): string => `${command} ${args.join(' ')}\n--- stderr ---\n${stderr}`;
  return {
    child,
    stdout: sink,
    stderr: () => stderr,
    async waitForStderr(pattern, timeoutMs = 5000) {
      let exited = false;
      void closed.then(() => {
        exited = true;
        stderrEvents.emit('text');
      });
      await waitUntil(
        stderrEvents,
        'text',
        () => pattern.test(stderr) || exited,
        timeoutMs,
        `${pattern}\n${describe()}`,
      );
      const match = stderr.match(pattern);
      if (!match) throw new Error(`exited before printing ${pattern}\n${describe()}`);
      return match;
    },
    async waitForExit(timeoutMs = 20_000) {
      const [code, signal] = await exitWithin(child, closed, timeoutMs, describe);
      return { code, signal };
    },
  };
}

export function sha256File(path: string): Promise<string> {
  const sink = new ByteSink(false);
  fs.createReadStream(path).pipe(sink);
  return once(sink, 'finish').then(() => sink.digest());
}
