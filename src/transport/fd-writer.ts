import fs from 'node:fs';
import net from 'node:net';
import type { Writable } from 'node:stream';
import tty from 'node:tty';

/** Writes one chunk; false means "wait for the stream's 'drain' before the next one". */
export type ChunkWriter = (chunk: Buffer) => boolean;

/**
 * A writer for bulk data that skips the stream machinery when it can: while nothing is
 * queued in the stream, a chunk goes to the stream's file descriptor with one write(2), and
 * only what the kernel did not take (a full socket or pipe buffer: EAGAIN or a short write)
 * is queued in the stream, which then waits for the descriptor to become writable as usual.
 * Order is kept because the direct path is only taken with an empty queue.
 *
 * A chunk through Writable.write costs a write request, callbacks and a nextTick: per 64 KiB
 * that was as much CPU as the copy itself in the raw pipe benchmark. The direct path is only
 * used for plain sockets and pipes (process.stdout on a pipe is one); TLS sockets encrypt in
 * their stream, terminals have their own handling, and anything else (files, PassThrough)
 * gets plain `stream.write`.
 *
 * Errors (EPIPE, ECONNRESET) are not raised here: the chunk is handed to the stream, whose
 * own write then fails and emits 'error' the usual way.
 */
export function directWriter(stream: Writable): ChunkWriter {
  if (!isPlainSocketOrPipe(stream)) return (chunk) => stream.write(chunk);
  const socket = stream;
  return (chunk) => {
    // Looked up every time: a destroyed socket's descriptor number may already be reused.
    const fd = socket.destroyed ? undefined : handleFd(socket);
    if (fd === undefined || socket.writableLength > 0 || socket.writableEnded || socket.connecting)
      return socket.write(chunk);
    let written = 0;
    try {
      written = fs.writeSync(fd, chunk, 0, chunk.length);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return socket.write(chunk);
    }
    return written === chunk.length || socket.write(chunk.subarray(written));
  };
}

/** A socket or pipe whose descriptor carries our bytes as they are: not TLS, not a terminal. */
export function isPlainSocketOrPipe(stream: Writable): stream is net.Socket {
  return (
    stream instanceof net.Socket &&
    (stream as { encrypted?: boolean }).encrypted !== true && // a tls.TLSSocket (without loading node:tls)
    !(stream instanceof tty.WriteStream)
  );
}

/** The file descriptor under a socket's libuv handle (a private field; undefined if absent). */
export function handleFd(socket: net.Socket): number | undefined {
  const fd = (socket as unknown as { _handle: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}
