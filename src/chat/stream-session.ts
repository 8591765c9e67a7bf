import {
  createTextDecoder,
  type EncodingPair,
  encodeText,
  isKnownEncoding,
  type TextDecoderStream,
  utf8BytesOver,
} from '../protocol/codec.js';
import { parseCommand } from '../protocol/commands.js';
import type { ByeEvent, ChatEvent, ClientRequest, MessageEvent } from '../protocol/events.js';
import { encodeFrame, FrameDecoder } from '../protocol/frame.js';
import {
  GREETING_PREFIX,
  looksLikeTlsHello,
  PROTOCOL_VERSION,
  UPGRADE_ACCEPT,
  UPGRADE_REQUEST,
} from '../protocol/handshake.js';
import { LineSplitter } from '../protocol/line-splitter.js';
import { pongTo } from '../protocol/ping.js';
import type { Link } from '../transport/types.js';
import { LetterReceipts, postLetter } from './letter-requests.js';
import type { Member } from './member.js';
import { DEFAULT_RATE_LIMITS, FloodGuard, type RateLimits, type Throttle } from './rate-limit.js';
import type { RenderedBatch, RenderedEvent } from './rendered-event.js';
import type { Room } from './room.js';
import { describeEncodings, describeMembers, ROCKET_ENCODING_NOTE } from './room-text.js';

export interface StreamSessionOptions {
  /** Wire encodings for a plain client until it says /encoding. */
  encodings: EncodingPair;
  /** "host:port" of the room, for the greeting. */
  roomAddress: string;
  /** A plain client's text without a newline counts as a message after this pause. */
  idleFlushMs?: number;
  /** A client that says nothing is announced after this long (a rocket announces itself at once). */
  joinDelayMs?: number;
  /** The longest line or frame accepted, in characters/bytes. */
  maxMessageBytes?: number;
  /** A member whose unsent output passes this is too far behind and is dropped. */
  maxQueuedBytes?: number;
  /** Messages and bytes a second before a peer is slowed down, and when it counts as flooding. */
  rateLimits?: RateLimits;
  /**
   * Called once a session is over, its queue handled, which can be after its connection
   * closed (see lost): the server frees the address's connection slot then.
   */
  onFinished?: (session: StreamSession) => void;
}

/** How long a newcomer has to give the room password. */
const HANDSHAKE_MS = 30_000;

const UPGRADE_BYTES = Buffer.from(`${UPGRADE_REQUEST}\n`, 'latin1');
const UPGRADE_BYTES_CRLF = Buffer.from(`${UPGRADE_REQUEST}\r\n`, 'latin1');

type Mode = 'detect' | 'plain' | 'rocket' | 'closed';

/**
 * One stream connection (TCP) in a room. It starts by greeting in text; a rocket that
 * answers the greeting with the upgrade line switches the connection to frames, anything
 * else is a plain client (nc, telnet, a Python socket program) talking text in its own
 * encoding.
 */
const NO_BYTES = Buffer.alloc(0);
/** Sought in a plain client's bytes, which read one line at a time when it is there. */
const ENCODING_COMMAND = Buffer.from('/encoding', 'latin1');

export class StreamSession implements Member {
  nick = '';
  account?: string;
  // Made on first use: a big room is mostly people who only read, and at 10,000 members
  // every per-connection object costs a megabyte.
  private letterReceipts: LetterReceipts | undefined;
  readonly label: string;
  private mode: Mode = 'detect';
  private encodings: EncodingPair;
  private textDecoder: TextDecoderStream | undefined;
  /** Encodings that /encoding lines switched textDecoder to ahead of their turn, oldest first. */
  private switchedAhead: string[] | undefined;
  private lineSplitter: LineSplitter | undefined;
  private frames: FrameDecoder | undefined;
  private detectBytes: Buffer = NO_BYTES;
  private idleTimer: NodeJS.Timeout | undefined;
  private joinTimer: NodeJS.Timeout | undefined;
  private readonly idleFlushMs: number;
  private readonly maxMessageBytes: number;
  private readonly maxQueuedBytes: number;
  /** Waiting for the room password: not in the room, sees and says nothing. */
  private gated = false;
  private floodGuard: FloodGuard | undefined;
  /** Lines and requests waiting for the rate limit, oldest first. */
  private readonly queue: Array<{ cost: number; run: () => void }> = [];
  /** The head of the queue has been charged to the rate limit already. */
  private headPaid = false;
  private draining = false;
  private drainTimer: NodeJS.Timeout | undefined;
  /** The peer sent FIN, or the connection is gone: leave once the queue is through. */
  private ending = false;
  /** Why the connection went while lines the peer sent were still waiting their turn. */
  private lostReason: string | undefined;
  /** The room is deciding who this member is (a login): what they sent next waits for it. */
  private awaitingDecision = false;
  private warnedAboutRate = false;

  constructor(
    private readonly room: Room,
    private readonly link: Link,
    private readonly options: StreamSessionOptions,
  ) {
    this.label = link.label;
    this.encodings = options.encodings; // replaced, never changed in place, by setEncoding
    this.idleFlushMs = options.idleFlushMs ?? 300;
    this.maxMessageBytes = options.maxMessageBytes ?? 64 * 1024;
    this.maxQueuedBytes = options.maxQueuedBytes ?? 8 * 1024 * 1024;
  }

  get address(): string | undefined {
    return this.link.address;
  }

  private get receipts(): LetterReceipts {
    this.letterReceipts ??= new LetterReceipts();
    return this.letterReceipts;
  }

  private get decoder(): TextDecoderStream {
    this.textDecoder ??= createTextDecoder(this.encodings.recv);
    return this.textDecoder;
  }

  private get splitter(): LineSplitter {
    this.lineSplitter ??= new LineSplitter(this.maxMessageBytes);
    return this.lineSplitter;
  }

  private get flood(): FloodGuard {
    this.floodGuard ??= new FloodGuard(this.options.rateLimits ?? DEFAULT_RATE_LIMITS);
    return this.floodGuard;
  }

  /** Greets the new connection; call once, right after it is accepted. */
  start(): void {
    if (this.room.isProtected) {
      // Nothing of the room is seen or heard until the room password is given.
      this.gated = true;
      this.writeText(
        `${GREETING_PREFIX}room ${this.room.name} at ${this.options.roomAddress} is protected: ` +
          'send /pass SECRET first (rocket connect: --room-password-file FILE).',
      );
      this.joinTimer = setTimeout(() => this.refuse('no room password within 30 seconds'), HANDSHAKE_MS);
      this.joinTimer.unref();
      return;
    }
    this.enterRoom(true);
  }

  private enterRoom(withGreeting: boolean): void {
    this.gated = false;
    this.clearJoinTimer();
    this.room.attach(this);
    const members = this.room.who();
    if (withGreeting) {
      this.writeText(
        `${GREETING_PREFIX}room ${this.room.name} at ${this.options.roomAddress}. You are ${this.nick}: ` +
          'set your nickname with /nick NAME; /help lists the commands.',
      );
    } else if (this.mode !== 'rocket') {
      this.writeText(
        `*** Welcome. You are ${this.nick}: set your nickname with /nick NAME; /help lists the commands.`,
      );
    }
    if (this.mode !== 'rocket') {
      this.writeText(`*** In the room: ${describeMembers(members)}`);
    }
    this.joinLater();
  }

  /** A member who has not spoken is announced after a moment: port scanners come and go unheard. */
  private joinLater(): void {
    this.joinTimer = setTimeout(() => {
      this.joinTimer = undefined; // a fired timer kept per member is 100 bytes times 10,000
      this.room.join(this);
    }, this.options.joinDelayMs ?? 500);
    this.joinTimer.unref();
  }

  /** A line from a plain client waits its turn under the rate limit. */
  private handleLine(line: string): void {
    // The splitter counts characters; the limit is in bytes (a CJK character is three).
    const over = utf8BytesOver(line, this.maxMessageBytes);
    if (over !== undefined) this.refuseBytes(over);
    else this.enqueue(1, () => this.processLine(line));
  }

  /** A line from a plain client: the room password first if the room has one, then chat. */
  private processLine(line: string): void {
    if (!this.gated) {
      this.room.input(this, line);
      return;
    }
    const pass = /^\/pass\s+(.+)$/s.exec(line);
    if (pass && this.room.checkRoomPassword(pass[1]!.trim())) this.enterRoom(false);
    else
      this.refuse(
        pass ? 'wrong room password' : 'this room is protected: the first line must be /pass SECRET',
      );
  }

  /** Turned away at the door: one line saying why, then the connection closes. */
  private refuse(reason: string): void {
    if (this.mode === 'closed') return;
    const event = { type: 'error', code: 'room-password', text: reason } as const;
    if (this.mode === 'rocket') this.link.write(encodeFrame(event));
    else this.writeText(`!!! ${reason}`);
    this.finish();
    this.link.end();
  }

  /** Bytes from the peer. */
  receive(chunk: Buffer): void {
    if (this.mode === 'closed') return;
    if (!this.obey(this.flood.account(0, chunk.length))) return;
    this.dispatch(chunk);
    this.drain();
  }

  /**
   * Work from the peer (a line, a request) runs in order, as fast as the rate limit
   * allows. While some waits, the socket is not read, so what waits is at most one chunk
   * and the peer's own buffers fill: it slows down instead of losing anything.
   */
  private enqueue(cost: number, run: () => void): void {
    this.queue.push({ cost, run });
    this.drain();
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      this.drainQueue();
    } finally {
      this.draining = false;
    }
  }

  private drainQueue(): void {
    while (this.queue.length > 0 && this.mode !== 'closed') {
      // Held back: only the timer (or the login) goes on. (More lines of the same chunk
      // arriving meanwhile must wait behind the head, not run it early.)
      if (this.drainTimer !== undefined || this.awaitingDecision) return;
      const head = this.queue[0]!;
      if (head.cost > 0 && !this.headPaid) {
        this.headPaid = true;
        if (!this.obey(this.flood.account(head.cost, 0))) return;
        if (this.drainTimer !== undefined) return; // held back: drain() runs again later
      }
      this.queue.shift();
      this.headPaid = false;
      head.run();
      this.waitForDecision();
    }
    if (this.awaitingDecision) return;
    if (this.queue.length === 0 && this.ending) this.endNow();
    else if (this.queue.length === 0 && this.drainTimer === undefined) this.link.resumeReading?.();
  }

  /**
   * A /login (or the login in a rocket's hello) is checked off the event loop; until the room
   * has decided, the lines after it wait, so they are said under the right name (or, if the
   * login failed, after the refusal), never by the guest the member still is meanwhile.
   */
  private waitForDecision(): void {
    const decision = this.room.decisionFor(this);
    if (decision === undefined) return;
    this.awaitingDecision = true;
    void decision.then(() => {
      this.awaitingDecision = false;
      this.drain();
    });
  }

  /** Applies a rate-limit verdict; false if the peer was disconnected for flooding. */
  private obey(throttle: Throttle): boolean {
    if (('disconnect' in throttle || throttle.wait > 0) && !this.warnedAboutRate) {
      this.warnedAboutRate = true;
      this.room.sendTo(this, {
        type: 'info',
        text: 'you are sending faster than this room allows; slowing you down (keep it up and you are disconnected)',
      });
    }
    if ('disconnect' in throttle) {
      this.room.sendTo(this, { type: 'error', code: 'flood', text: 'disconnected for flooding the room' });
      this.room.leave(this, 'flooding');
      this.finish();
      this.link.end();
      return false;
    }
    if (throttle.wait > 0 && this.drainTimer === undefined) {
      this.link.pauseReading?.();
      this.drainTimer = setTimeout(() => {
        this.drainTimer = undefined;
        this.drain();
      }, throttle.wait);
      this.drainTimer.unref();
    }
    return true;
  }

  private dispatch(chunk: Buffer): void {
    switch (this.mode) {
      case 'detect':
        this.detect(chunk);
        return;
      case 'plain':
        this.receiveText(chunk);
        return;
      case 'rocket':
        this.receiveFrames(chunk);
        return;
      case 'closed':
        return;
    }
  }

  /** The peer finished sending (FIN): whatever it typed last still counts, then it leaves. */
  peerEnded(): void {
    if (this.mode === 'closed') return;
    if (this.mode === 'detect') this.becomePlain();
    if (this.mode === 'plain') this.flushText(true);
    this.ending = true;
    this.drain();
  }

  private endNow(): void {
    this.room.leave(this, this.lostReason ?? 'quit');
    this.finish();
    this.link.end();
  }

  /** Nothing came from the peer for too long: it is let go with a reason. */
  idle(): void {
    if (this.mode === 'closed') return;
    this.room.leave(this, 'idle for too long');
    this.room.sendTo(this, { type: 'bye', text: 'Closing: idle for too long' });
    this.finish();
    this.link.end();
  }

  /**
   * The connection is gone (closed, reset, timed out). What the peer sent before it went is
   * still said, at the room's pace: a client that writes a file and closes at once (the
   * tutorial's, `nc -N`) loses nothing to the rate limit. The server keeps the address's
   * connection slot until then, so this cannot be used to get past the per-address cap.
   */
  lost(reason?: string): void {
    if (this.mode === 'closed') return;
    if (this.mode === 'detect') this.becomePlain();
    if (this.mode === 'plain') this.flushText(true);
    this.lostReason = reason ?? 'connection closed';
    if (this.queue.length > 0 && !this.gated) {
      this.ending = true;
      return; // the drain timer (or the login) carries on; endNow leaves with lostReason
    }
    this.room.leave(this, this.lostReason);
    this.finish();
  }

  deliver(_event: ChatEvent, rendered: RenderedEvent): void {
    if (this.mode === 'closed') return;
    if (this.mode === 'rocket') {
      this.link.write(rendered.frame());
    } else {
      const bytes = rendered.bytes(this.encodings.send);
      if (bytes !== undefined) this.link.write(bytes);
    }
    if (this.link.queuedBytes > this.maxQueuedBytes) this.dropSlowReader();
  }

  deliverBatch(batch: RenderedBatch): void {
    if (this.mode === 'closed') return;
    const bytes = this.mode === 'rocket' ? batch.frames() : batch.bytes(this.encodings.send);
    if (bytes.length > 0) this.link.write(bytes);
    if (this.link.queuedBytes > this.maxQueuedBytes) this.dropSlowReader();
  }

  deliverLetter(event: MessageEvent, rendered: RenderedEvent, delivered: () => void): void {
    if (this.mode === 'closed') return;
    if (this.mode === 'rocket') {
      this.receipts.expect(event.id, delivered);
      this.link.write(rendered.frame());
      return;
    }
    const bytes = rendered.bytes(this.encodings.send);
    if (bytes === undefined) return;
    // A plain client acknowledges by reading: the write went out and the connection is up.
    this.link.write(bytes, (err) => {
      if (!err && this.mode !== 'closed') delivered();
    });
  }

  whenWritable(): Promise<void> {
    return this.link.whenDrained();
  }

  close(goodbye: ByeEvent): void {
    if (this.mode === 'closed') return;
    this.room.sendTo(this, goodbye);
    this.finish();
    this.link.end();
  }

  setEncoding(encoding: string): string {
    if (this.mode === 'rocket') {
      return ROCKET_ENCODING_NOTE;
    }
    if (this.switchedAhead?.[0] === encoding) {
      // The decoder switched when the line came (receiveText): what came after is in it.
      this.switchedAhead.shift();
    } else {
      if (this.mode === 'plain') this.flushText(false);
      this.textDecoder = createTextDecoder(encoding);
    }
    this.encodings = { send: encoding, recv: encoding };
    return `the room now reads and writes ${encoding} for you`;
  }

  describeEncoding(): string {
    return describeEncodings(this.encodings);
  }

  private detect(chunk: Buffer): void {
    if (this.detectBytes.length === 0 && looksLikeTlsHello(chunk)) {
      // It already read our plain greeting and says "does not speak TLS" on its side.
      this.finish();
      this.link.destroy();
      return;
    }
    this.detectBytes = this.detectBytes.length === 0 ? chunk : Buffer.concat([this.detectBytes, chunk]);
    for (const magic of [UPGRADE_BYTES, UPGRADE_BYTES_CRLF]) {
      const n = Math.min(magic.length, this.detectBytes.length);
      if (!this.detectBytes.subarray(0, n).equals(magic.subarray(0, n))) continue;
      if (this.detectBytes.length < magic.length) {
        this.armIdleTimer(); // might still be a plain client that typed "ROCK" and paused
        return;
      }
      const rest = this.detectBytes.subarray(magic.length);
      this.detectBytes = NO_BYTES;
      this.becomeRocket(rest);
      return;
    }
    this.becomePlain();
  }

  private becomePlain(): void {
    this.mode = 'plain';
    const held = this.detectBytes;
    this.detectBytes = NO_BYTES;
    if (held.length > 0) this.receiveText(held);
  }

  private becomeRocket(rest: Buffer): void {
    this.mode = 'rocket';
    this.clearIdleTimer();
    this.frames = new FrameDecoder(this.maxMessageBytes + 1024);
    this.link.write(Buffer.from(`${UPGRADE_ACCEPT}\n`, 'latin1'));
    if (rest.length > 0) this.receiveFrames(rest);
  }

  private receiveText(chunk: Buffer): void {
    if (chunk.includes(ENCODING_COMMAND) && !this.gated) {
      // "/encoding gbk" and the GBK text after it can come in one read (a script's two
      // writes, coalesced): the bytes after that line must be read as GBK, so the chunk
      // is read a line at a time, and an /encoding line switches the decoder at once.
      // (Its answer still comes in its turn, after the lines before it.)
      for (let start = 0; start < chunk.length && this.mode === 'plain'; ) {
        const newline = chunk.indexOf(0x0a, start);
        const end = newline === -1 ? chunk.length : newline + 1;
        this.receiveDecoded(this.decoder.write(chunk.subarray(start, end)), true);
        start = end;
      }
      return;
    }
    this.receiveDecoded(this.decoder.write(chunk), false);
  }

  private receiveDecoded(text: string, switchAhead: boolean): void {
    const { lines, overflows } = this.splitter.push(text);
    for (const length of overflows) this.refuseLong(length);
    for (const line of lines) {
      if (this.mode !== 'plain') break;
      if (switchAhead) this.switchDecoderAhead(line);
      this.handleLine(line);
    }
    if (this.mode === 'plain' && this.splitter.pendingText !== '') this.armIdleTimer();
    else this.clearIdleTimer();
  }

  private switchDecoderAhead(line: string): void {
    const command = parseCommand(line);
    if (command.name !== 'encoding' || command.encoding === undefined || !isKnownEncoding(command.encoding))
      return;
    const encoding = command.encoding.trim().toLowerCase();
    this.textDecoder = createTextDecoder(encoding);
    this.switchedAhead ??= [];
    this.switchedAhead.push(encoding);
  }

  /** Text that waited without a newline is a message of its own (the tutorial's client). */
  private flushText(final: boolean): void {
    this.clearIdleTimer();
    if (final) {
      const tail = this.decoder.end();
      if (tail) this.splitter.push(tail);
    }
    const line = this.splitter.takePending();
    if (line !== undefined) this.handleLine(line);
  }

  private receiveFrames(chunk: Buffer): void {
    let requests: unknown[];
    try {
      requests = this.frames!.push(chunk);
    } catch (err) {
      this.room.sendTo(this, {
        type: 'error',
        code: 'protocol',
        text: err instanceof Error ? err.message : String(err),
      });
      this.room.leave(this, 'protocol error');
      this.finish();
      this.link.end();
      return;
    }
    for (const request of requests) {
      if (this.mode !== 'rocket') return;
      const value = request as ClientRequest;
      // Things said cost a token; the rest (hello, receipts, pings) only keeps its place in line.
      this.enqueue(value?.type === 'say' || value?.type === 'mail' ? 1 : 0, () => this.handleSafely(value));
    }
  }

  /**
   * A frame is whatever JSON the peer chose to send: a shape no check foresaw must cost that
   * peer its connection, never the room its process.
   */
  private handleSafely(request: ClientRequest): void {
    try {
      this.handleRequest(request);
    } catch {
      if (this.mode === 'closed') return;
      this.room.sendTo(this, { type: 'error', code: 'protocol', text: 'a request this room cannot handle' });
      this.room.leave(this, 'protocol error');
      this.finish();
      this.link.end();
    }
  }

  private handleRequest(request: ClientRequest): void {
    if (this.gated && request?.type !== 'hello') return;
    switch (request?.type) {
      case 'hello': {
        if (this.gated) {
          const given = (request as { roomPassword?: unknown }).roomPassword;
          if (typeof given !== 'string' || !this.room.checkRoomPassword(given)) {
            this.refuse(
              given === undefined
                ? 'this room needs a room password (--room-password-file)'
                : 'wrong room password',
            );
            return;
          }
          this.enterRoom(false);
        }
        this.clearJoinTimer();
        const nick = typeof request.nick === 'string' ? request.nick : undefined;
        const password = typeof request.password === 'string' ? request.password : undefined;
        // With a secret the nick is settled by the login; join as a guest meanwhile, quietly.
        if (nick === undefined) this.room.join(this);
        else if (password === undefined && !this.room.joinAsAsked(this, nick)) this.joinLater();
        this.room.sendTo(this, {
          type: 'welcome',
          nick: this.nick,
          room: this.room.name,
          version: PROTOCOL_VERSION,
          members: this.room.who(),
          rate: (this.options.rateLimits ?? DEFAULT_RATE_LIMITS).messagesPerSecond,
        });
        if (password !== undefined && nick !== undefined) {
          // A failed login joins us as a guest (Room.login); what we said next waits for it.
          void this.room.login(this, nick, password, request.claim !== false);
        }
        return;
      }
      case 'mail':
        postLetter(this.room, this, request);
        return;
      case 'received':
        this.receipts.confirm(request);
        return;
      case 'say': {
        if (typeof request.text !== 'string') return;
        const id = typeof request.id === 'string' && request.id.length <= 64 ? request.id : undefined;
        this.room.input(this, request.text, id);
        if (id !== undefined && this.mode === 'rocket') this.link.write(encodeFrame({ type: 'ack', id }));
        return;
      }
      case 'quit':
        this.room.input(
          this,
          typeof request.text === 'string' && request.text ? `/quit ${request.text}` : '/quit',
        );
        return;
      case 'ping':
        this.link.write(encodeFrame(pongTo(request as unknown as Record<string, unknown>)));
        return;
      default:
        return; // unknown requests are ignored so newer clients can talk to this room
    }
  }

  private refuseBytes(bytes: number): void {
    this.room.sendTo(this, {
      type: 'error',
      code: 'too-long',
      text: `message not sent: ${bytes} bytes, and the limit is ${this.maxMessageBytes}`,
    });
  }

  private refuseLong(length: number): void {
    this.room.sendTo(this, {
      type: 'error',
      code: 'too-long',
      text: `message not sent: it passed ${length} characters before its end, and the limit is ${this.maxMessageBytes} bytes; the rest of that line is dropped`,
    });
  }

  /** Output written to this member that it has not read yet (see OutputBudget). */
  get queuedOutputBytes(): number {
    return this.mode === 'closed' ? 0 : this.link.queuedBytes;
  }

  /** The room has too much output waiting and this member is furthest behind. */
  dropAsTooFarBehind(): void {
    if (this.mode !== 'closed') this.dropSlowReader();
  }

  private dropSlowReader(): void {
    this.room.leave(this, 'too far behind: not reading');
    this.finish();
    this.link.destroy();
  }

  private writeText(text: string): void {
    this.link.write(encodeText(`${text}\n`, this.encodings.send));
  }

  private armIdleTimer(): void {
    this.clearIdleTimer();
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      // While we are not reading the peer, the rest of its line may be waiting in the
      // kernel: silence is ours, not the peer's, so the partial line is not yet a message.
      if (this.link.readingPaused || this.drainTimer !== undefined) {
        this.armIdleTimer();
        return;
      }
      if (this.mode === 'detect') this.becomePlain();
      if (this.mode === 'plain') this.flushText(false);
    }, this.idleFlushMs);
    this.idleTimer.unref();
  }

  private clearIdleTimer(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private clearJoinTimer(): void {
    if (this.joinTimer !== undefined) clearTimeout(this.joinTimer);
    this.joinTimer = undefined;
  }

  private finish(): void {
    if (this.mode !== 'closed' && this.options.onFinished) {
      const done = this.options.onFinished;
      queueMicrotask(() => done(this));
    }
    this.mode = 'closed';
    this.clearIdleTimer();
    this.clearJoinTimer();
    this.queue.length = 0;
    if (this.drainTimer !== undefined) clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
  }
}
