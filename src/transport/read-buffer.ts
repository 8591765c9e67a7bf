import net from 'node:net';
import type { Readable, Writable } from 'node:stream';

const lenders = new WeakMap<Readable, ReadBufferLender>();

/** The lender behind a socket or pipe created with {@link ReadBufferLender}, if any. */
export function lenderOf(stream: Readable): ReadBufferLender | undefined {
  return lenders.get(stream);
}

/**
 * Reads a socket or pipe into one reused buffer, through net.Socket's `onread` option,
 * instead of the fresh 64 KiB buffer Node allocates for every read, and emits the bytes as
 * ordinary `'data'` events. That halves the JavaScript time per byte of a bulk transfer.
 *
 * A chunk from a reused buffer is only valid until the next read, so the relay says where
 * the chunks go (`lendTo`). The memory is reused only when that consumer took the whole
 * chunk at once: its writableLength is 0 after the write, i.e. the bytes are in the kernel
 * (a TCP socket, a pipe, process.stdout on a file or a terminal). If the write was queued,
 * the queued chunk keeps the old buffer and reading continues in a new one. While the
 * consumer is backed up, small chunks are copied rather than pinning a large buffer each.
 * Only use it with consumers that do not keep chunks after a write completes (a PassThrough
 * does: it hands the very same chunk to its reader).
 *
 * @example
 * const lender = new ReadBufferLender(128 * 1024);
 * const socket = lender.attach(net.connect({ host, port, onread: lender.onread }));
 */
export class ReadBufferLender {
  private buffer: Buffer;
  private consumer: Writable | undefined;
  private stream: Readable | undefined;
  readonly onread: { buffer: () => Uint8Array; callback: (bytes: number, buffer: Uint8Array) => boolean };

  constructor(private readonly size: number) {
    this.buffer = Buffer.allocUnsafe(size);
    this.onread = {
      buffer: () => this.buffer,
      callback: (bytes, buffer) => this.onRead(bytes, buffer),
    };
  }

  /** Ties the lender to the stream created with its `onread`; returns the stream. */
  attach<T extends Readable>(stream: T): T {
    this.stream = stream;
    lenders.set(stream, this);
    return stream;
  }

  /** Where the chunks go from now on; undefined when nobody consumes them. */
  lendTo(consumer: Writable | undefined): void {
    this.consumer = consumer;
  }

  private onRead(bytes: number, buffer: Uint8Array): boolean {
    const chunk = Buffer.from(buffer.buffer, buffer.byteOffset, bytes);
    const consumer = this.consumer;
    if (consumer !== undefined && consumer.writableLength === 0) {
      this.stream!.emit('data', chunk);
      if (consumer.writableLength > 0) this.buffer = Buffer.allocUnsafe(this.size);
    } else if (bytes >= this.size / 2) {
      this.stream!.emit('data', chunk);
      this.buffer = Buffer.allocUnsafe(this.size);
    } else {
      this.stream!.emit('data', Buffer.from(chunk));
    }
    return true;
  }
}

/** The parts of net.Socket's internals that {@link adoptWithReadBuffer} relies on. */
interface SocketInternals {
  _handle: { fd?: number } | null;
  bytesRead: number;
  /** The server that accepted it; its connection count goes down when this socket closes. */
  _server: net.Server | null;
  server: net.Server | null;
}

/**
 * An accepted socket, moved into a new net.Socket that reads into the lender's buffer.
 *
 * Node's net.Server has no `onread` option, so every accepted connection reads into fresh
 * 64 KiB buffers, which cost the receiving end of a bulk transfer about as much CPU as the
 * kernel's own copying. The server accepts with pauseOnConnect, so the connection's handle
 * has not read a byte yet; it is handed to a net.Socket made with `onread` (the `handle`
 * option is how Node itself builds accepted sockets), the server's connection count moves
 * with it, and the old wrapper, now without a handle, is discarded.
 *
 * Returns the socket unchanged (and the lender unused) when that is not possible: a TLS
 * socket, a socket that already read, or a Node whose internals differ.
 */
export function adoptWithReadBuffer(
  socket: net.Socket,
  lender: ReadBufferLender,
  options: { allowHalfOpen: boolean },
): net.Socket {
  const internals = socket as unknown as SocketInternals;
  const handle = internals._handle;
  if ((socket as { encrypted?: boolean }).encrypted === true || handle === null || typeof handle !== 'object')
    return socket;
  if (internals.bytesRead !== 0 || socket.readableFlowing === true || socket.listenerCount('data') > 0)
    return socket;
  let adopted: net.Socket;
  try {
    const create = {
      handle,
      allowHalfOpen: options.allowHalfOpen,
      readable: true,
      writable: true,
      pauseOnCreate: true,
      onread: lender.onread,
    };
    adopted = new net.Socket(create as net.SocketConstructorOpts);
  } catch {
    return socket;
  }
  // The server's count of open connections moves over with the handle.
  const adoptedInternals = adopted as unknown as SocketInternals;
  adoptedInternals._server = internals._server;
  adoptedInternals.server = internals.server;
  internals._server = null;
  internals._handle = null;
  socket.destroy(); // a wrapper without a handle: nothing to close, nothing to count
  return lender.attach(adopted);
}
