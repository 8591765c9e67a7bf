import fs from 'node:fs';
import type { Socket } from 'node:net';
import { handleFd, isPlainSocketOrPipe } from './fd-writer.js';
import { remoteLabel } from './tcp.js';
import type { Link } from './types.js';

type WriteCallback = (err?: Error | null) => void;

/**
 * The output of one socket that has not been handed to it yet. A broadcast to a thousand
 * members calls write() a thousand times per line; each call only appends to `chunks`,
 * and once the event-loop turn's I/O is done every socket gets its turn's bytes with one
 * write(2) or writev(2) straight to its descriptor (see {@link writeDirect}). Going through
 * socket.write() per line, even corked, costs a Writable request object, timer refreshes
 * and a writev slot per line, which was most of the room's CPU per delivered line (bench/,
 * "Room fan-out"); even once per turn, the Writable path was a tenth of it.
 */
interface Pending {
  socket: Socket;
  group: LinkGroup;
  chunks: Buffer[];
  bytes: number;
  callbacks: WriteCallback[] | undefined;
  /** In this turn's flush list. */
  queued: boolean;
  /** Some output went through socket.write() and may still wait in the stream. */
  streamUsed: boolean;
  /** A plain TCP socket, whose descriptor we may write to; never a TLS one (its fd carries ciphertext). */
  direct: boolean;
}

let pending: Pending[] = [];
let flushScheduled = false;

/** Below this much queued output a link takes more without waiting (whenDrained). */
const DRAINED_BYTES = 1024 * 1024;

/**
 * Room-wide backpressure. While any link has more than CONGESTED_BYTES waiting for its
 * peer, no link of the group is read: the senders' own buffers fill and TCP slows them
 * down, instead of the room buffering on and dropping its slowest readers. A link that
 * stays congested for 2 s (StallTimes) is no longer waited for (it may be stuck, say a suspended
 * nc): the room reads again, and that member's queue grows to the session's cap, where it
 * is dropped as too far behind (and for a while after, others are waited for less: see
 * StallTimes).
 */
const CONGESTED_BYTES = 512 * 1024;

export interface StallTimes {
  /** How long the room waits for a congested link before it is no longer waited for. */
  stallMs: number;
  /**
   * For `waryMs` after a link turned out stuck, others are waited for only `waryStallMs`:
   * members who never read, joining one after another, each held the whole room for the
   * full 2 s (found by a drill), where now the first costs 2 s and the rest a blink.
   */
  waryStallMs: number;
  waryMs: number;
}

const DEFAULT_STALL_TIMES: StallTimes = { stallMs: 2000, waryStallMs: 200, waryMs: 30_000 };

/** Links that pause and resume reading together (one room's connections). */
export class LinkGroup {
  private readonly readers = new Set<{ apply(): void }>();
  private readonly congested = new Map<Socket, NodeJS.Timeout>();
  private readonly stalled = new Set<Socket>();
  private lastStallAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly times: StallTimes = DEFAULT_STALL_TIMES) {}

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
    const wary = performance.now() - this.lastStallAt < this.times.waryMs;
    const timer = setTimeout(
      () => {
        this.lastStallAt = performance.now();
        this.stalled.add(socket);
        this.relieve(socket);
      },
      wary ? this.times.waryStallMs : this.times.stallMs,
    );
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

/**
 * After a flush that took d ms of CPU, the next one waits until FLUSH_SPACING * d ms have
 * passed, so a busy room spends at most 1 / (1 + FLUSH_SPACING) of its time in write(2).
 * An idle room flushes at once (a line to ten people takes microseconds, so the wait is
 * nothing); in a room of thousands, where one flush costs milliseconds, the lines that
 * arrive meanwhile go out in the same write to each member instead of one write per line,
 * so the cost per delivered line falls as the load rises. CPU time rather than the clock:
 * on a machine shared with the clients, a flush that was preempted took long but cost little.
 * Measured at 1,000 clients and 200,000 deliveries/s (bench/, "loaded" phase, medians of
 * 2-3 runs, ncat at 3.0-3.3 µs and 46-73 ms): server CPU per delivered line 3.5 µs without
 * spacing, 2.7-3.0 at 0.5, 2.5-2.8 at 0.75, 2.3-2.5 at 1 and 1.75 at 2; p99 latency 30,
 * 25-26, 26-27, 28-31 and 39-46 ms. 0.75 saves most of what spacing can before the wait
 * starts to show in the latency.
 */
const FLUSH_SPACING = 0.75;
let nextFlushAt = 0;

function scheduleFlush(): void {
  flushScheduled = true;
  const wait = nextFlushAt - performance.now();
  if (wait < 1) setImmediate(flushAll);
  else setTimeout(flushAll, wait);
}

/** Flushes to fewer links than this are never spaced: not worth two getrusage calls a line. */
const SPACED_FROM_LINKS = 100;

function flushAll(): void {
  flushScheduled = false;
  const entries = pending;
  pending = [];
  const started = entries.length >= SPACED_FROM_LINKS ? cpuMs() : undefined;
  for (const entry of entries) if (entry.queued) flush(entry);
  // Reading stops only once this turn's output is known to be too much.
  for (const entry of entries) if (entry.streamUsed) entry.group.check(entry.socket);
  nextFlushAt = started === undefined ? 0 : performance.now() + FLUSH_SPACING * (cpuMs() - started);
}

/** CPU time this process has used, in ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function flush(entry: Pending): void {
  const { socket, chunks, callbacks } = entry;
  const bytes = entry.bytes;
  entry.bytes = 0;
  entry.callbacks = undefined;
  entry.queued = false;
  if (chunks.length === 0) return;
  if (socket.destroyed || socket.writableEnded) {
    chunks.length = 0;
    if (callbacks !== undefined) callAll(callbacks, new Error('connection closed'));
    return;
  }
  const written =
    !entry.direct || (entry.streamUsed && socket.writableLength > 0) ? 0 : writeDirect(socket, chunks, bytes);
  // A write is activity for socket.setTimeout (the room's idle timeout), as it is when it
  // goes through the stream: a member who only reads is not idle in a busy room.
  if (written > 0) (socket as unknown as { _unrefTimer?(): void })._unrefTimer?.();
  const rest = written === bytes ? undefined : remainder(chunks, written);
  // Emptied, not replaced: one array per member for the life of the connection, not one per flush.
  chunks.length = 0;
  if (rest === undefined) {
    entry.streamUsed = false;
    if (callbacks !== undefined) process.nextTick(callAll, callbacks);
    return;
  }
  // The kernel took part of it (or nothing): the stream keeps the rest and waits for room.
  // Chunk by chunk, corked into one writev, not concatenated: a broadcast is one buffer
  // shared by every member, and a copy for each member behind (400 in a flood drill) cost
  // more CPU than the writes and held a copy per member in memory.
  entry.streamUsed = true;
  socket.cork();
  const last = rest.length - 1;
  for (let i = 0; i < last; i++) socket.write(rest[i]!);
  if (callbacks === undefined) socket.write(rest[last]!);
  else socket.write(rest[last]!, (err) => callAll(callbacks, err));
  socket.uncork();
}

function callAll(callbacks: WriteCallback[], err?: Error | null): void {
  for (const cb of callbacks) cb(err);
}

/** Most iovecs one writev(2) takes on Linux (IOV_MAX). */
const MAX_IOVECS = 1024;

/**
 * Writes chunks straight to the socket's descriptor, without the Writable machinery; returns
 * how many bytes the kernel took (0 when it is full, or when the descriptor is not
 * available: then the stream does it all, and reports any error itself).
 */
function writeDirect(socket: Socket, chunks: Buffer[], bytes: number): number {
  const fd = handleFd(socket);
  if (fd === undefined || socket.connecting) return 0;
  try {
    if (chunks.length === 1) return fs.writeSync(fd, chunks[0]!);
    if (chunks.length <= MAX_IOVECS) return fs.writevSync(fd, chunks);
    return fs.writeSync(fd, Buffer.concat(chunks, bytes));
  } catch {
    return 0; // EAGAIN: full; EPIPE and the like: the stream's own write reports them
  }
}

/** The chunks after their first `skip` bytes, without copying any (a partial chunk is a view). */
function remainder(chunks: Buffer[], skip: number): Buffer[] {
  const rest: Buffer[] = [];
  let left = skip;
  for (const chunk of chunks) {
    if (left >= chunk.length) {
      left -= chunk.length;
      continue;
    }
    rest.push(left === 0 ? chunk : chunk.subarray(left));
    left = 0;
  }
  return rest;
}

/** How long a closed link waits for the peer's FIN before it drops the connection. */
const END_GRACE_MS = 2000;

/**
 * Wraps an accepted or connected TCP socket as a Link. Links of one `group` share
 * backpressure: see {@link LinkGroup}.
 */
export function createTcpLink(socket: Socket, group: LinkGroup = defaultGroup): Link {
  return new TcpLink(socket, group);
}

/**
 * A class rather than an object of closures: a room holds one per member, and at 10,000
 * members ten closures and their context each were 6 MB.
 */
class TcpLink implements Link, Pending {
  readonly label: string;
  chunks: Buffer[] = [];
  bytes = 0;
  callbacks: WriteCallback[] | undefined = undefined;
  queued = false;
  streamUsed = false;
  readonly direct: boolean;
  /** Paused by the session (rate limits), as opposed to by the group. */
  private held = false;
  /** Until we end or destroy it, or it closes. Checked per delivery, so not the stream's getters; flush() checks those. */
  private open = true;

  constructor(
    readonly socket: Socket,
    readonly group: LinkGroup,
  ) {
    this.label = remoteLabel(socket);
    this.direct = isPlainSocketOrPipe(socket); // never TLS: its descriptor carries ciphertext
    group.add(this);
    socket.once('close', () => {
      this.open = false;
      this.queued = false;
      group.remove(this, socket);
    });
  }

  /** Asked rarely (a login, a freed slot), so not kept per link: Node keeps the peer's name once asked (label). */
  get address(): string | undefined {
    return this.socket.remoteAddress?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  }

  /** Reading follows the session's pause and the group's congestion (see LinkGroup). */
  apply(): void {
    if (this.socket.destroyed) return;
    if (this.held || this.group.isCongested) this.socket.pause();
    else this.socket.resume();
  }

  write(data: Buffer, onWritten?: WriteCallback): void {
    if (!this.open) {
      onWritten?.(new Error('connection closed'));
      return;
    }
    this.chunks.push(data);
    this.bytes += data.length;
    if (onWritten !== undefined) {
      this.callbacks ??= [];
      this.callbacks.push(onWritten);
    }
    if (!this.queued) {
      this.queued = true;
      pending.push(this);
      if (!flushScheduled) scheduleFlush();
    }
  }

  whenDrained(): Promise<void> {
    const socket = this.socket;
    if (this.bytes + socket.writableLength < DRAINED_BYTES || socket.destroyed) return Promise.resolve();
    this.flushNow();
    // 'drain' comes only after a write that the stream had to hold past its high-water mark;
    // if the kernel took it all (or nearly), there is nothing to wait for.
    if (!socket.writableNeedDrain || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
  }

  get queuedBytes(): number {
    // Asked after every delivery: the stream's getter only once the stream holds something.
    return this.streamUsed ? this.bytes + this.socket.writableLength : this.bytes;
  }

  end(): void {
    this.flushNow();
    this.open = false;
    // Nothing the peer sends now is heard: leave it in the kernel, where TCP's window stops
    // the peer, rather than read it at full speed until the grace runs out (a peer dropped
    // for flooding pushed 3.8 GB in those 2 s).
    this.pauseReading();
    const socket = this.socket;
    if (!socket.destroyed && !socket.writableEnded) socket.end();
    // A peer that never closes its side (nc keeps reading its stdin) is let go after a grace.
    setTimeout(() => socket.destroy(), END_GRACE_MS).unref();
  }

  get readingPaused(): boolean {
    return this.held || this.group.isCongested;
  }

  pauseReading(): void {
    this.held = true;
    this.socket.pause();
  }

  resumeReading(): void {
    this.held = false;
    this.apply();
  }

  destroy(): void {
    if (this.queued) {
      this.queued = false;
      callAll(this.callbacks ?? [], new Error('connection closed'));
      this.chunks = [];
      this.bytes = 0;
      this.callbacks = undefined;
    }
    this.open = false;
    this.socket.destroy();
  }

  private flushNow(): void {
    if (this.queued) flush(this);
  }
}
