/**
 * Runs the built CLI (dist/cli/main.js) as a child process, the way a user would.
 * Build first: `npx tsc -p tsconfig.build.json` (npm test does).
 *
 *   const r = await spawnCli(['port', '22']);            // run to the end, stdin closed
 *   const cli = startCli(['listen', '0']);               // keep it running
 *   const [, port] = await cli.waitForStderr(/Listening on .* port (\d+)/);
 *   await cli.stop();
 *
 * Every wait has a deadline, and a failed wait says what the process had printed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLI_PATH = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

const DEFAULT_RUN_MS = 15_000;
const DEFAULT_WAIT_MS = 5_000;

export interface CliResult {
  /** Exit status, or null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Written to stdin, which is then closed. spawnCli closes stdin at once without it. */
  input?: string | Buffer;
  /** Added to (and overriding) the test process's environment. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** spawnCli: deadline for the whole run (default 15 s); the child is killed when it passes. */
  timeoutMs?: number;
}

/** Fails with a clear message when the CLI has not been built. */
export function assertCliBuilt(): void {
  if (!existsSync(CLI_PATH)) {
    throw new Error(`${CLI_PATH} is missing: build the CLI first with npx tsc -p tsconfig.build.json`);
  }
}

/** Runs `node dist/cli/main.js ...args` to the end and collects its output. */
export function spawnCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const cli = startCli(args, options);
  if (options.input !== undefined) cli.child.stdin?.end(options.input);
  else cli.child.stdin?.end();
  return cli.waitForExit(options.timeoutMs ?? DEFAULT_RUN_MS);
}

export interface RunningCli {
  child: ChildProcess;
  /** Everything printed so far. */
  stdout(): string;
  stderr(): string;
  /**
   * Resolves with the match of the first line matching `pattern`. Each stream has a
   * cursor: a wait looks at lines after the previous wait's match, so two waits for
   * the same pattern need two such lines. Rejects at the deadline or if the process exits.
   */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Writes to the child's stdin. */
  write(text: string | Buffer): void;
  /** Closes the child's stdin (EOF). */
  end(): void;
  /** Resolves when the process exits; kills it with SIGKILL and rejects at the deadline. */
  waitForExit(timeoutMs?: number): Promise<CliResult>;
  /** Sends `signal` (default SIGTERM), waits for the exit, and SIGKILLs after the deadline. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<CliResult>;
}

const running = new Set<RunningCli>();

/** Stops every CLI started by startCli that is still running; for afterEach. */
export async function stopAllClis(): Promise<void> {
  await Promise.all([...running].map((cli) => cli.stop('SIGKILL').catch(() => undefined)));
}

interface Waiter {
  pattern: RegExp;
  resolve(match: RegExpMatchArray): void;
  reject(err: Error): void;
}

class LineStream {
  readonly lines: string[] = [];
  text = '';
  #partial = '';
  #cursor = 0;
  readonly #waiters: Waiter[] = [];

  push(chunk: string): void {
    this.text += chunk;
    const parts = (this.#partial + chunk).split('\n');
    this.#partial = parts.pop()!;
    for (const line of parts) this.#add(line.replace(/\r$/, ''));
  }

  /** At exit: the last line may have no newline; waiters still pending will never be served. */
  close(reason: (pattern: RegExp) => Error): void {
    if (this.#partial !== '') this.#add(this.#partial);
    this.#partial = '';
    for (const waiter of this.#waiters.splice(0)) waiter.reject(reason(waiter.pattern));
  }

  waitFor(pattern: RegExp, resolve: Waiter['resolve'], reject: Waiter['reject']): Waiter {
    for (let i = this.#cursor; i < this.lines.length; i++) {
      const match = this.lines[i]!.match(pattern);
      if (match) {
        this.#cursor = i + 1;
        resolve(match);
        return { pattern, resolve, reject };
      }
    }
    const waiter = { pattern, resolve, reject };
    this.#waiters.push(waiter);
    return waiter;
  }

  cancel(waiter: Waiter): void {
    const index = this.#waiters.indexOf(waiter);
    if (index >= 0) this.#waiters.splice(index, 1);
  }

  #add(line: string): void {
    this.lines.push(line);
    const index = this.#waiters.findIndex((w) => w.pattern.test(line));
    if (index < 0) return;
    const [waiter] = this.#waiters.splice(index, 1);
    this.#cursor = this.lines.length;
    waiter!.resolve(line.match(waiter!.pattern)!);
  }
}

/** Starts `node dist/cli/main.js ...args` and leaves it running, stdin open. */
export function startCli(args: readonly string[], options: CliOptions = {}): RunningCli {
  assertCliBuilt();
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out = new LineStream();
  const err = new LineStream();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => out.push(chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => err.push(chunk));
  // A child that exits before reading its stdin makes writes fail with EPIPE; the exit tells the story.
  child.stdin!.on('error', () => {});

  const describe = (): string =>
    `rocket ${args.join(' ')}\n--- stdout ---\n${out.text}--- stderr ---\n${err.text}`;
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    // 'close' rather than 'exit': by then stdout and stderr are fully read.
    child.once('close', (code, signal) => {
      running.delete(cli);
      const why = (stream: string) => (pattern: RegExp) =>
        new Error(
          `exited (code ${code}, signal ${signal}) before a ${stream} line matched ${pattern}\n${describe()}`,
        );
      out.close(why('stdout'));
      err.close(why('stderr'));
      resolve({ code, signal, stdout: out.text, stderr: err.text });
    });
  });
  exited.catch(() => {});

  const waitForLine = (stream: LineStream, name: string, pattern: RegExp, timeoutMs = DEFAULT_WAIT_MS) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(() => {
        stream.cancel(waiter);
        reject(new Error(`no ${name} line matched ${pattern} within ${timeoutMs} ms\n${describe()}`));
      }, timeoutMs);
      const waiter = stream.waitFor(
        pattern,
        (match) => {
          clearTimeout(timer);
          resolve(match);
        },
        (error) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });

  const waitForExit = (timeoutMs = DEFAULT_RUN_MS): Promise<CliResult> =>
    exitWithin(child, exited, timeoutMs, describe);

  const cli: RunningCli = {
    child,
    stdout: () => out.text,
    stderr: () => err.text,
    waitForStdout: (pattern, timeoutMs) => waitForLine(out, 'stdout', pattern, timeoutMs),
    waitForStderr: (pattern, timeoutMs) => waitForLine(err, 'stderr', pattern, timeoutMs),
    write: (text) => {
      child.stdin!.write(text);
    },
    end: () => {
      child.stdin!.end();
    },
    waitForExit,
    stop: (signal = 'SIGTERM', timeoutMs = DEFAULT_WAIT_MS) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return waitForExit(timeoutMs);
    },
  };
  running.add(cli);
  return cli;
}

/**
 * Resolves with what `exited` resolves with; if the child has not exited within `timeoutMs`,
 * SIGKILLs it and rejects with `describe()` (its command line and output) in the message.
 */
export async function exitWithin<T>(
  child: ChildProcess,
  exited: Promise<T>,
  timeoutMs: number,
  describe: () => string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`did not exit within ${timeoutMs} ms\n${describe()}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([exited, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
