import fs from 'node:fs';
import net from 'node:net';
import type { Readable, Writable } from 'node:stream';
import tls from 'node:tls';
import tty from 'node:tty';
import { ReadBufferLender } from '../transport/read-buffer.js';
import { waitForOutput } from '../transport/relay.js';
import type { RawCommonOptions } from './types.js';

/**
 * Read size for a regular file or a device such as /dev/zero on stdin (`rocket connect --raw
 * host port < big.iso`). Each read is a thread-pool round trip, so bigger is cheaper: sending
 * 2 GiB took 0.6 s of CPU in user space with Node's default 64 KiB, 0.26 s with 256 KiB and
 * 0.2 s with 1 MiB. Backpressure keeps only a chunk or two of it in memory.
 */
export const STDIN_FILE_CHUNK_BYTES = 1024 * 1024;

/** The input and output of one raw session, with the defaults filled in. */
export interface RawIo {
  input: Readable;
  output: Writable;
  /** A person is typing the input: their session ends when the peer hangs up. */
  inputIsTerminal: boolean;
  /** Ends the output (unless it is stdout/stderr) and lets go of a stdin reader we opened. */
  close(): Promise<void>;
}

export function openRawIo(options: RawCommonOptions): RawIo {
  const ownInput =
    options.input === undefined || (options.input === process.stdin && isUntouched(process.stdin))
      ? openStdin()
      : undefined;
  const input = ownInput ?? (options.input as Readable);
  const output = options.output ?? process.stdout;
  if (output === process.stdout) writeStdoutLikeNetcat();
  return {
    input,
    output,
    inputIsTerminal: (input as { isTTY?: boolean }).isTTY === true,
    async close(): Promise<void> {
      if (ownInput && ownInput !== process.stdin) ownInput.destroy();
      await closeOutput(output);
    },
  };
}

/**
 * Bytes per read from a TCP socket, when the output lets us reuse the buffer (see
 * {@link canReuseReadBuffer}). Four times Node's 64 KiB: a socket read returns all that is
 * queued, so a busy transfer makes a quarter of the callbacks and output writes. Receiving
 * 1 GiB into a pipe took 0.17 s of user CPU with 64 KiB and 0.13 s with 256 KiB; 1 MiB was
 * no better.
 */
export const SOCKET_READ_BYTES = 256 * 1024;

/** A pipe hands out at most its own buffer per read: 64 KiB on Linux. */
const PIPE_READ_BYTES = 64 * 1024;

/**
 * True for outputs that never keep a chunk once its write has completed, so a reused read
 * buffer is safe with them: stdout/stderr, sockets, file streams. A PassThrough, say, keeps
 * the very chunk for its reader.
 */
export function canReuseReadBuffer(output: Writable): boolean {
  return (
    output === process.stdout ||
    output === process.stderr ||
    output instanceof fs.WriteStream ||
    isPlainSocket(output)
  );
}

function isPlainSocket(output: Writable): boolean {
  return output instanceof net.Socket && !(output instanceof tls.TLSSocket);
}

/**
 * Makes writes to stdout on a pipe blocking, as they are in nc and socat. Node
 * opens such a stdout non-blocking, so a bulk transfer into a pipe that its reader drains
 * more slowly keeps hitting a full pipe: a short write, the rest queued, a wait for the
 * descriptor to become writable, and the same again. Blocking, the kernel hands the pipe
 * over from writer to reader directly; receiving 1 GiB took about half the CPU (0.13 s user
 * and 0.4 s system instead of 0.3 s and 0.7 s). The price is nc's: while the reader of our
 * output does not read, we wait for it (and so does the other direction). Terminals and
 * files are written synchronously by Node already.
 */
function writeStdoutLikeNetcat(): void {
  if (!stdoutWaitsForReader() || !(process.stdout instanceof net.Socket)) return;
  const stdout = process.stdout as unknown as { _handle?: { setBlocking?(on: boolean): number } };
  stdout._handle?.setBlocking?.(true);
}

/**
 * True when raw mode's default output, stdout, is a pipe of its own, which raw mode writes to
 * the blocking way (see writeStdoutLikeNetcat): then rocket can be inside write(2), waiting
 * for a reader that does not read, where no signal handler of ours can run.
 */
export function stdoutWaitsForReader(): boolean {
  stdoutIsOwnPipe ??= isOwnPipe();
  return stdoutIsOwnPipe;
}

let stdoutIsOwnPipe: boolean | undefined;

/**
 * Stdout is a pipe (FIFO) of its own. Not a socket: under inetd, systemd socket activation,
 * `socat EXEC:` or `nc -e`, stdin and stdout are one socket, and blocking is a property of
 * the open file, so making stdout blocking would make stdin blocking too, and libuv's reads
 * would then stop the event loop.
 */
function isOwnPipe(): boolean {
  let out: fs.Stats;
  try {
    out = fs.fstatSync(1);
  } catch {
    return false; // stdout is closed: nothing to make blocking
  }
  if (!out.isFIFO()) return false;
  try {
    const input = fs.fstatSync(0);
    return input.ino !== out.ino || input.dev !== out.dev;
  } catch {
    return true; // stdin is closed, so it cannot be the same pipe
  }
}

/**
 * Standard input as a stream, read the fastest way its kind allows:
 * - a regular file or a device such as /dev/zero: 1 MiB reads from the thread pool;
 * - a pipe or a socket: a stream on fd 0 with a reused read buffer (ReadBufferLender);
 * - a terminal (or anything else): process.stdin, which knows about raw mode and line editing.
 */
function openStdin(): Readable {
  const kind = stdinKind();
  if (kind === 'file') {
    return fs.createReadStream('', { fd: 0, highWaterMark: STDIN_FILE_CHUNK_BYTES, autoClose: false });
  }
  if (kind === 'stream') {
    try {
      const lender = new ReadBufferLender(PIPE_READ_BYTES);
      // manualStart: do not read before somebody listens (process.stdin is made the same way);
      // libuv never closes fds 0-2, so destroying this stream leaves stdin itself alone.
      const options = { fd: 0, readable: true, writable: false, manualStart: true, onread: lender.onread };
      return lender.attach(new net.Socket(options as net.SocketConstructorOpts));
    } catch {
      // An fd type net.Socket cannot wrap: process.stdin copes with more kinds.
    }
  }
  return process.stdin;
}

function stdinKind(): 'file' | 'stream' | 'other' {
  try {
    const stat = fs.fstatSync(0);
    if (stat.isFile() || (stat.isCharacterDevice() && !tty.isatty(0))) return 'file';
    if (stat.isFIFO() || stat.isSocket()) return 'stream';
  } catch {
    // stdin is closed (`<&-`): process.stdin copes with that.
  }
  return 'other';
}

/** Nobody has read from process.stdin yet, so another reader on fd 0 misses nothing. */
function isUntouched(stdin: Readable): boolean {
  const bytesRead = (stdin as { bytesRead?: number }).bytesRead ?? 0;
  return (
    stdin.readableFlowing === null && stdin.readableLength === 0 && bytesRead === 0 && !stdin.readableEnded
  );
}

/**
 * Ends an output stream we were given so its reader sees the end, and waits for it to
 * flush; stdout and stderr are only flushed, never ended (the process still owns them).
 */
async function closeOutput(output: Writable): Promise<void> {
  if (output === process.stdout || output === process.stderr || output.writableEnded || output.destroyed) {
    await waitForOutput(output);
    return;
  }
  await new Promise<void>((resolve) => {
    const done = (): void => {
      output.off('error', done);
      output.off('close', done);
      resolve();
    };
    // An error here (say EPIPE) means the reader left; the transfer itself is already over.
    output.once('error', done);
    output.once('close', done);
    output.end(done);
  });
}
