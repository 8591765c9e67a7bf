import fs from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { waitForOutput } from '../transport/relay.js';
import type { RawCommonOptions } from './types.js';

/**
 * Read size for a regular file on stdin (`rocket connect --raw host port < big.iso`). Node's
 * default of 64 KiB costs a thread-pool round trip per 64 KiB; 256 KiB cuts that by four.
 * Pipes are not affected: a pipe hands out at most its own buffer (64 KiB on Linux) per read.
 */
export const STDIN_FILE_CHUNK_BYTES = 256 * 1024;

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
  const ownInput = options.input === undefined || options.input === process.stdin ? openStdin() : undefined;
  const input = ownInput ?? (options.input as Readable);
  const output = options.output ?? process.stdout;
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
 * Standard input as a stream. A regular file gets its own reader with large chunks; a pipe,
 * a terminal or a socket keeps process.stdin, which waits for data with epoll. (A thread-pool
 * read on a pipe would block a worker thread and keep the process alive after we are done.)
 */
function openStdin(): Readable {
  if (isUntouchedRegularFileOnStdin()) {
    return fs.createReadStream('', { fd: 0, highWaterMark: STDIN_FILE_CHUNK_BYTES, autoClose: false });
  }
  return process.stdin;
}

function isUntouchedRegularFileOnStdin(): boolean {
  try {
    if (!fs.fstatSync(0).isFile()) return false;
  } catch {
    return false; // stdin closed (`<&-`): process.stdin copes with that
  }
  // Somebody may have read from process.stdin already; then its position and buffer matter.
  // The getter below creates process.stdin if needed, which for a file opens nothing yet.
  const stdin = process.stdin;
  return (
    stdin.readableFlowing === null &&
    stdin.readableLength === 0 &&
    (stdin as { bytesRead?: number }).bytesRead === 0
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
