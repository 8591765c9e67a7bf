import type { Socket } from 'node:net';
import { remoteLabel } from './tcp.js';
import type { Link } from './types.js';

type WriteCallback = (err?: Error | null) => void;

/**
 * The output of one socket that has not been handed to it yet. A broadcast to a thousand
 * members calls write() a thousand times per line; each call only appends to `chunks`,
 * and once the event-loop turn's I/O is done every socket gets its turn's bytes in one
 * socket.write() (one writev/write syscall). Going through socket.write() per line, even
 * corked, costs a Writable request object, timer refreshes and a writev slot per line, which
 * was most of the room's CPU per delivered line (bench/, "Room fan-out").
 */
interface Pending {
  socket: Socket;
  group: LinkGroup;
  chunks: Buffer[];
  bytes: number;
  callbacks: WriteCallback[] | undefined;
}

const pending = new Set<Pending>();
let flushScheduled = false;

/** Below this much queued output a link takes more without waiting (whenDrained). */
const DRAINED_BYTES = 1024 * 1024;

/**
 * Room-wide backpressure. While any link has more than CONGESTED_BYTES waiting for its
 * peer, no link of the group is read: the senders' own buffers fill and TCP slows them
 * down, instead of the room buffering on and dropping its slowest readers. A link that
 * stays congested for STALL_MS is no longer waited for (it may be stuck, say a suspended
 * nc): the room reads again, and that member's queue grows to the session's cap, where it
 * is dropped as too far behind.
 */
const CONGESTED_BYTES = 512 * 1024;
const STALL_MS = 2000;

/** Links that pause and resume reading together (one room's connections). */
export class LinkGroup {
  private readonly readers = new Set<{ apply(): void }>();
  private readonly congested = new Map<Socket, NodeJS.Timeout>();
  private readonly stalled = new Set<Socket>();

  get isCongested(): boolean {
    return this.congested.size > 0;
  }

  /** @internal */
  add(reader: { apply(): void }): void {
    this.readers.add(reader);
  }

  /** @internal */
  remove(reader: { apply(): void }, socket: Socket): void {
    this.readers.delete(reader);
    this.stalled.delete(socket);
    this.relieve(socket);
  }

  /** @internal Called after bytes were handed to `socket`. */
  check(socket: Socket): void {
    if (socket.writableLength <= CONGESTED_BYTES || this.congested.has(socket) || this.stalled.has(socket))
      return;
    const timer = setTimeout(() => {
      this.stalled.add(socket);
      this.relieve(socket);
    }, STALL_MS);
    timer.unref();
    this.congested.set(socket, timer);
    socket.once('drain', () => {
      this.stalled.delete(socket);
      this.relieve(socket);
    });
    if (this.congested.size === 1) this.applyAll();
  }

  private relieve(socket: Socket): void {
    const timer = this.congested.get(socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.congested.delete(socket);
    if (this.congested.size === 0) this.applyAll();
  }

  private applyAll(): void {
    for (const reader of this.readers) reader.apply();
  }
}

/** The group of links made without one: fine for a process with one room. */
const defaultGroup = new LinkGroup();

function flushAll(): void {
  flushScheduled = false;
  const entries = [...pending];
  pending.clear();
  for (const entry of entries) flush(entry);
  // Reading stops only once this turn's output is known to be too much.
  for (const entry of entries) entry.group.check(entry.socket);
}

function flush(entry: Pending): void {
  const { socket, chunks, callbacks } = entry;
  const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, entry.bytes);
  entry.chunks = [];
  entry.bytes = 0;
  entry.callbacks = undefined;
  if (socket.destroyed || socket.writableEnded) {
    const err = new Error('connection closed');
    for (const cb of callbacks ?? []) cb(err);
    return;
  }
  if (callbacks === undefined) socket.write(data);
  else
    socket.write(data, (err) => {
      for (const cb of callbacks) cb(err);
    });
}

/** How long a closed link waits for the peer's FIN before it drops the connection. */
const END_GRACE_MS = 2000;

/**
 * Wraps an accepted or connected TCP socket as a Link. Links of one `group` share
 * backpressure: see {@link LinkGroup}.
 */
export function createTcpLink(socket: Socket, group: LinkGroup = defaultGroup): Link {
  const label = remoteLabel(socket);
  const out: Pending = { socket, group, chunks: [], bytes: 0, callbacks: undefined };
  /** Paused by the session (rate limits), as opposed to by the group. */
  let held = false;
  const reader = {
    apply(): void {
      if (socket.destroyed) return;
      if (held || group.isCongested) socket.pause();
      else socket.resume();
    },
  };
  group.add(reader);
  socket.once('close', () => {
    pending.delete(out);
    group.remove(reader, socket);
  });
  const flushNow = (): void => {
    if (pending.delete(out)) flush(out);
  };
  return {
    label,
    write(data: Buffer, onWritten?: WriteCallback): void {
      if (socket.destroyed || socket.writableEnded) {
        onWritten?.(new Error('connection closed'));
        return;
      }
      out.chunks.push(data);
      out.bytes += data.length;
      if (onWritten !== undefined) {
        out.callbacks ??= [];
        out.callbacks.push(onWritten);
      }
      if (out.chunks.length === 1) {
        pending.add(out);
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flushAll);
        }
      }
    },
    whenDrained(): Promise<void> {
      if (out.bytes + socket.writableLength < DRAINED_BYTES || socket.destroyed) return Promise.resolve();
      flushNow();
      return new Promise((resolve) => {
        const done = (): void => {
          socket.off('drain', done);
          socket.off('close', done);
          resolve();
        };
        socket.on('drain', done);
        socket.on('close', done);
      });
    },
    get queuedBytes(): number {
      return out.bytes + socket.writableLength;
    },
    end(): void {
      flushNow();
      if (!socket.destroyed && !socket.writableEnded) socket.end();
      // A peer that never closes its side (nc keeps reading its stdin) is let go after a grace.
      setTimeout(() => socket.destroy(), END_GRACE_MS).unref();
    },
    get readingPaused(): boolean {
      return held || group.isCongested;
    },
    pauseReading(): void {
      held = true;
      socket.pause();
    },
    resumeReading(): void {
      held = false;
      reader.apply();
    },
    destroy(): void {
      if (pending.delete(out)) {
        const err = new Error('connection closed');
        for (const cb of out.callbacks ?? []) cb(err);
        out.chunks = [];
        out.bytes = 0;
        out.callbacks = undefined;
      }
      socket.destroy();
    },
  };
}
