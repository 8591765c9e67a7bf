import {
  createTextDecoder,
  type EncodingPair,
  encodeText,
  type TextDecoderStream,
  utf8BytesOver,
} from '../protocol/codec.js';
import type { ByeEvent, ChatEvent, MessageEvent } from '../protocol/events.js';
import { GREETING_PREFIX, PROTOCOL_VERSION } from '../protocol/handshake.js';
import { LineSplitter } from '../protocol/line-splitter.js';
import { pongTo } from '../protocol/ping.js';
import { RecentIds } from '../protocol/recent-ids.js';
import { encodeDatagram, MAX_UDP_TEXT_BYTES } from '../protocol/udp-wire.js';
import type { Link } from '../transport/types.js';
import { LetterReceipts, postLetter } from './letter-requests.js';
import type { Member } from './member.js';
import { DEFAULT_RATE_LIMITS, FloodGuard, type RateLimits } from './rate-limit.js';
import type { RenderedEvent } from './rendered-event.js';
import type { Room } from './room.js';
import { describeEncodings, describeMembers, ROCKET_ENCODING_NOTE } from './room-text.js';

/** Bigger than this, a datagram is fragmented or dropped on real paths; tell the peer instead. */
const MAX_OUTGOING_DATAGRAM = 60_000;
/** Lines to a plain peer are packed up to this size: one Ethernet frame, as the room's own limit. */
const PACKED_DATAGRAM_BYTES = 1400;
/** How long a new plain peer's first words wait for a possible rocket hello. */
const HELLO_WAIT_MS = 250;
/**
 * Letters of a backlog sent before waiting: a peer's socket buffer (the kernel's default is
 * about 300 datagrams) overflowed when a thousand went at once, and `inbox --udp` missed some.
 */
const LETTER_WINDOW = 64;
const PLAIN_LETTER_PAUSE_MS = 10;
const RECEIPT_WAIT_MS = 500;

/** A rocket's requests that wait while its login is decided (acks, receipts and pings do not). */
const HELD_DURING_LOGIN = new Set<unknown>(['say', 'mail', 'quit']);

/** Plain peers with packed text waiting (see DatagramSession.writePlain), sent once per turn. */
const packing = new Set<DatagramSession>();
let packingScheduled = false;

function sendAllPacked(): void {
  packingScheduled = false;
  const sessions = [...packing];
  packing.clear();
  for (const session of sessions) session.sendPacked();
}

/**
 * One UDP peer in a room, known by the address and port its datagrams come from (the
 * tutorial's "meatballs"). A plain peer (nc -u, the tutorial's client) sends text: each
 * datagram ends a message even without a newline. A rocket sends JSON datagrams with ids,
 * which are acknowledged, and retransmissions are recognised and not said twice.
 */
export class DatagramSession implements Member {
  nick = '';
  account?: string;
  private readonly receipts = new LetterReceipts();
  private handedSinceWait = 0;
  readonly label: string;
  readonly address: string | undefined;
  lastHeard = Date.now();
  private encodings: EncodingPair;
  private decoder: TextDecoderStream;
  private readonly splitter = new LineSplitter(MAX_UDP_TEXT_BYTES * 4);
  private readonly said = new RecentIds(1000);
  private closed = false;
  private flood: FloodGuard = new FloodGuard(DEFAULT_RATE_LIMITS);
  private messagesPerSecond = DEFAULT_RATE_LIMITS.messagesPerSecond;
  private warnedAboutRate = false;
  /** Set when the peer was dropped for flooding: the server ignores it for a while. */
  flooded = false;
  /** A new plain peer's first datagrams, held briefly in case a rocket hello follows. */
  private held: Buffer[] | undefined;
  private holdTimer: NodeJS.Timeout | undefined;
  /** What came while a login was being decided, to be handled after it (see waitForDecision). */
  private afterLogin: Array<() => void> | undefined;
  /** Text for a plain peer waiting to go out in this turn (see writePlain). */
  private packed: Buffer[] = [];
  private packedBytes = 0;

  constructor(
    private readonly room: Room,
    private readonly link: Link,
    private kind: 'plain' | 'rocket',
    encodings: EncodingPair,
    private readonly roomAddress: string,
  ) {
    this.label = link.label;
    this.address = link.address;
    this.encodings = { ...encodings };
    this.decoder = createTextDecoder(encodings.recv);
  }

  /** Rate limits for this peer (the room's settings). */
  limit(limits: RateLimits): void {
    this.flood = new FloodGuard(limits);
    this.messagesPerSecond = limits.messagesPerSecond;
  }

  /**
   * Whether a datagram may be heard. Datagrams have no flow control, so over the limit
   * they are dropped (the peer is told once); a peer that keeps flooding is dropped.
   */
  admit(byteLength: number): boolean {
    const verdict = this.flood.account(1, byteLength);
    if ('disconnect' in verdict) {
      this.send({ type: 'error', code: 'flood', text: 'disconnected for flooding the room' });
      this.flooded = true;
      this.expire('flooding');
      return false;
    }
    if (verdict.wait === 0) return true;
    if (!this.warnedAboutRate) {
      this.warnedAboutRate = true;
      this.send({
        type: 'info',
        text: 'you are sending faster than this room allows; messages over the limit are dropped',
      });
    }
    return false;
  }

  start(): void {
    this.room.attach(this);
    if (this.kind === 'plain') {
      const members = this.room.who();
      this.writeText(
        `${GREETING_PREFIX}room ${this.room.name} at ${this.roomAddress} (udp). You are ${this.nick}: ` +
          'set your nickname with /nick NAME; /help lists the commands.',
      );
      this.writeText(`*** In the room: ${describeMembers(members)}`);
      // A rocket client speaks text until it has seen the greeting, then says hello with
      // its nick; holding its first words for a moment lets them carry that nick.
      this.held = [];
      this.holdTimer = setTimeout(() => this.releaseHeld(), HELLO_WAIT_MS);
      this.holdTimer.unref();
    }
  }

  private releaseHeld(): void {
    if (this.holdTimer !== undefined) clearTimeout(this.holdTimer);
    const held = this.held ?? [];
    this.held = undefined;
    this.holdTimer = undefined;
    if (this.closed) return;
    // The first words join the room (a first "/nick bob" joins as bob, as over TCP).
    for (const datagram of held) this.receiveText(datagram);
    if (!this.room.isJoined(this)) this.room.join(this);
  }

  private dropHeld(): void {
    if (this.holdTimer !== undefined) clearTimeout(this.holdTimer);
    this.held = undefined;
    this.holdTimer = undefined;
  }

  /** A text datagram from a plain peer. */
  receiveText(datagram: Buffer): void {
    this.lastHeard = Date.now();
    if (this.held !== undefined) {
      this.held.push(datagram);
      return;
    }
    const { lines, overflows } = this.splitter.push(this.decoder.write(datagram));
    for (const length of overflows) this.refuseLong(length);
    const tail = this.splitter.takePending();
    for (const line of lines) this.hear(line);
    if (tail !== undefined) this.hear(tail);
  }

  private hear(line: string): void {
    if (this.afterLogin !== undefined) {
      this.afterLogin.push(() => this.hear(line));
      return;
    }
    if (utf8BytesOver(line, MAX_UDP_TEXT_BYTES) !== undefined) {
      this.refuseLong(line.length);
      return;
    }
    this.room.input(this, line);
    this.waitForDecision();
  }

  /**
   * A login (a /login line, or a rocket's hello with a secret) is checked off the event loop:
   * what the peer sends next waits for the room's decision, so it is said under the name
   * the login gives (as over TCP; see StreamSession).
   */
  private waitForDecision(): void {
    const decision = this.room.decisionFor(this);
    if (decision === undefined || this.afterLogin !== undefined) return;
    this.afterLogin = [];
    void decision.then(() => this.runAfterLogin());
  }

  private runAfterLogin(): void {
    const waiting = this.afterLogin ?? [];
    this.afterLogin = undefined;
    for (let i = 0; i < waiting.length && !this.closed; i++) {
      waiting[i]!();
      const again = this.afterLogin as Array<() => void> | undefined; // another login among them
      if (again !== undefined) {
        again.push(...waiting.slice(i + 1));
        return;
      }
    }
  }

  /** A JSON datagram from a rocket. */
  receiveRequest(request: Record<string, unknown>): void {
    this.lastHeard = Date.now();
    if (this.afterLogin !== undefined && HELD_DURING_LOGIN.has(request.type)) {
      this.afterLogin.push(() => this.receiveRequest(request));
      return;
    }
    switch (request.type) {
      case 'hello': {
        const nick = typeof request.nick === 'string' ? request.nick : undefined;
        const password = typeof request.password === 'string' ? request.password : undefined;
        this.kind = 'rocket';
        if (password !== undefined && nick !== undefined) {
          void this.room.login(this, nick, password, request.claim !== false); // joins as a guest if refused
          this.waitForDecision();
        } else if (this.room.isJoined(this)) {
          if (nick !== undefined) this.room.input(this, `/nick ${nick}`);
        } else if (nick === undefined) {
          this.room.join(this);
        } else {
          this.room.joinAsAsked(this, nick); // refused: joins as the guest if it speaks after all
        }
        // A rocket whose hello nick is refused leaves without a word (UdpChatClient), so what
        // it said before its hello is not said under the guest name it got instead.
        const nickRefused = nick !== undefined && password === undefined && this.nick !== nick;
        this.send({
          type: 'welcome',
          nick: this.nick,
          room: this.room.name,
          version: PROTOCOL_VERSION,
          members: this.room.who(),
          rate: this.messagesPerSecond,
        });
        if (this.held !== undefined) {
          if (nickRefused) this.dropHeld();
          else this.releaseHeld();
        }
        return;
      }
      case 'say': {
        if (typeof request.text !== 'string' || typeof request.id !== 'string' || request.id.length > 64)
          return;
        // A retransmission after a lost ack: acknowledge again, say nothing twice.
        if (!this.said.has(request.id)) {
          this.said.add(request.id);
          if (utf8BytesOver(request.text, MAX_UDP_TEXT_BYTES) !== undefined)
            this.refuseLong(request.text.length);
          else this.room.input(this, request.text, request.id);
        }
        this.link.write(encodeDatagram({ type: 'ack', id: request.id }));
        return;
      }
      case 'mail':
        postLetter(this.room, this, request);
        return;
      case 'received':
        this.receipts.confirm(request);
        return;
      case 'quit':
        this.room.input(
          this,
          typeof request.text === 'string' && request.text ? `/quit ${request.text}` : '/quit',
        );
        return;
      case 'ping':
        this.link.write(encodeDatagram(pongTo(request)));
        return;
      default:
        return;
    }
  }

  deliver(event: ChatEvent, rendered: RenderedEvent): void {
    if (this.closed) return;
    const bytes = this.kind === 'rocket' ? rendered.datagram() : rendered.bytes(this.encodings.send);
    if (bytes === undefined) return;
    if (bytes.length > MAX_OUTGOING_DATAGRAM) {
      const from = event.type === 'message' ? ` from ${event.from}` : '';
      this.send({ type: 'info', text: `a message${from} was too long for UDP; join over TCP to read it` });
      return;
    }
    if (this.kind === 'rocket') this.link.write(bytes);
    else this.writePlain(bytes);
  }

  /**
   * Text for a plain peer, packed with whatever else it gets in this turn of the event loop
   * into datagrams of up to PACKED_DATAGRAM_BYTES. Each datagram is a sendto: in a room of a
   * thousand UDP peers, a line to everyone is a thousand of them, and a burst of lines (or of
   * newcomers greeted) would cost that many per line. A rocket gets one event per datagram,
   * as its protocol has it.
   */
  private writePlain(bytes: Buffer): void {
    if (this.packedBytes + bytes.length > PACKED_DATAGRAM_BYTES) this.sendPacked();
    if (bytes.length > PACKED_DATAGRAM_BYTES) {
      this.link.write(bytes);
      return;
    }
    this.packed.push(bytes);
    this.packedBytes += bytes.length;
    packing.add(this);
    if (!packingScheduled) {
      packingScheduled = true;
      setImmediate(sendAllPacked);
    }
  }

  /** Sends the text packed so far (see writePlain); the goodbye of a closed peer too. */
  sendPacked(): void {
    if (this.packed.length === 0) return;
    const datagram =
      this.packed.length === 1 ? this.packed[0]! : Buffer.concat(this.packed, this.packedBytes);
    this.packed = [];
    this.packedBytes = 0;
    this.link.write(datagram);
  }

  deliverLetter(event: MessageEvent, rendered: RenderedEvent, delivered: () => void): void {
    if (this.closed) return;
    if (this.kind === 'rocket') {
      this.receipts.expect(event.id, delivered);
      this.link.write(rendered.datagram());
      return;
    }
    const bytes = rendered.bytes(this.encodings.send);
    if (bytes === undefined) return;
    this.sendPacked(); // after what it was told before, in order
    this.link.write(bytes, (err) => !err && !this.closed && delivered());
  }

  whenWritable(): Promise<void> {
    // A plain peer cannot say what it got: a short pause per window keeps its socket buffer
    // from overflowing (nc -u has the kernel's default, about 300 datagrams).
    if (this.kind !== 'rocket') return new Promise((resolve) => setTimeout(resolve, PLAIN_LETTER_PAUSE_MS));
    if (this.receipts.size < LETTER_WINDOW) return this.link.whenDrained();
    // A rocket confirms what it got: wait until most of the window is confirmed, or a
    // moment (a lost receipt leaves its letter stored, to be handed over again next time).
    return new Promise((resolve) => {
      const timer = setTimeout(done, RECEIPT_WAIT_MS);
      const receipts = this.receipts;
      function done(): void {
        clearTimeout(timer);
        receipts.onConfirm = undefined;
        resolve();
      }
      receipts.onConfirm = () => {
        if (receipts.size < LETTER_WINDOW / 2) done();
      };
    });
  }

  /** A backlog over UDP goes a window at a time (see whenWritable). */
  lettersAhead(): boolean {
    this.handedSinceWait += 1;
    if (this.handedSinceWait < LETTER_WINDOW) return false;
    this.handedSinceWait = 0;
    return true;
  }

  close(goodbye: ByeEvent): void {
    if (this.closed) return;
    this.send(goodbye);
    this.markClosed();
  }

  /** The peer went silent for too long, or the room dropped it. */
  expire(reason: string): void {
    if (this.closed) return;
    this.room.leave(this, reason);
    this.markClosed();
    if (this.holdTimer !== undefined) clearTimeout(this.holdTimer);
  }

  /** Called once when the peer is done with (the server forgets it and frees its address's place). */
  onClosed: (() => void) | undefined;

  private markClosed(): void {
    this.closed = true;
    this.onClosed?.();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  setEncoding(encoding: string): string {
    if (this.kind === 'rocket') {
      return ROCKET_ENCODING_NOTE;
    }
    this.encodings = { send: encoding, recv: encoding };
    this.decoder = createTextDecoder(encoding);
    return `the room now reads and writes ${encoding} for you`;
  }

  describeEncoding(): string {
    return describeEncodings(this.encodings);
  }

  private send(event: ChatEvent): void {
    this.room.sendTo(this, event);
  }

  private refuseLong(length: number): void {
    this.send({
      type: 'error',
      code: 'too-long',
      text: `message of ${length} characters not sent: over UDP the limit is ${MAX_UDP_TEXT_BYTES} bytes as UTF-8, the form the room relays it in; split it, or use TCP`,
    });
  }

  private writeText(text: string): void {
    this.writePlain(encodeText(`${text}\n`, this.encodings.send));
  }
}
