import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { RocketError } from '../errors.js';
import {
  createTextDecoder,
  DEFAULT_ENCODING,
  type EncodingPair,
  encodeText,
  type TextDecoderStream,
} from '../protocol/codec.js';
import type { ChatEvent, ClientRequest, LoginEvent, StoredEvent } from '../protocol/events.js';
import { encodeFrame, FrameDecoder } from '../protocol/frame.js';
import { GREETING_PREFIX, helloRequest, UPGRADE_ACCEPT, UPGRADE_REQUEST } from '../protocol/handshake.js';
import { LineSplitter } from '../protocol/line-splitter.js';
import { RecentIds } from '../protocol/recent-ids.js';
import { describeLostPeer } from '../transport/socket-errors.js';
import { connectTcp, remoteLabel } from '../transport/tcp.js';
import { connectTls, PLAIN_CLIENT_NOTICE, type TlsClientOptions } from '../transport/tls.js';
import { LetterTracker } from './letter-tracker.js';
import { Pacer } from './pacer.js';
import type { ChatConnection, ClientEvents, ClientMode, CloseInfo } from './types.js';
import { nickRefusalReason, waitForLogin } from './wait-for-login.js';

export interface ChatClientOptions {
  host: string;
  port: number;
  /** Nickname to ask a rocket room for. */
  nick?: string;
  /** The nick's secret: logs in to it (letters waiting are handed over), or claims it if free. */
  password?: string;
  /** false: the password only logs in, it never claims a free nick (rocket inbox). */
  claim?: boolean;
  /** The room password of a protected room. */
  roomPassword?: string;
  /** Wire encodings when the peer is not a rocket (a rocket room always talks UTF-8 frames). */
  encodings?: EncodingPair;
  connectTimeoutMs?: number;
  /** How long to wait for a rocket room's greeting before talking plain text; default 1 s. */
  detectMs?: number;
  /** Text from a plain peer without a newline is shown after this pause; default 300 ms. */
  idleFlushMs?: number;
  /** Connect over TLS, trusting the room as these options say (a CA, a fingerprint, or pinning). */
  tls?: TlsClientOptions;
}

const GREETING_BYTES = Buffer.from(GREETING_PREFIX, 'latin1');
/** How a room's greeting for plain clients lists who is in (stream-session.ts). */
const MEMBER_LINE_PREFIX = '*** In the room: ';
/** How long a first line that reads like a refusal waits for the close that would make it one. */
const REFUSAL_WAIT_MS = 500;
/** What a rocket TLS room says to a client that spoke plain text to it. */
const TLS_NOTICE = Buffer.from(PLAIN_CLIENT_NOTICE.split(';')[0]!, 'latin1');

/**
 * Peppa's side over TCP. Talks frames to a rocket room and plain text to anything else
 * (the tutorial's server, an echo service, nc -l), sending nothing the user did not type
 * to a peer that is not a rocket.
 *
 * @example
 * const client = await connectChat({ host: '127.0.0.1', port: 8888, nick: 'peppa' });
 * client.on('event', (e) => console.log(e));
 * client.say('hello George');
 * await client.finish();
 */
export class ChatClient extends EventEmitter<ClientEvents> implements ChatConnection {
  private state: ClientMode = 'detect';
  private nickname: string | undefined;
  private readonly encodings: EncodingPair;
  private readonly decoder: TextDecoderStream;
  private readonly splitter = new LineSplitter(1024 * 1024);
  private readonly frames = new FrameDecoder(16 * 1024 * 1024);
  private readonly seen = new RecentIds(10_000);
  private readonly queued: string[] = [];
  private readonly unacked = new Set<string>();
  // Random, so letters from different clients never share an id (the store drops repeats by id).
  private readonly idPrefix = randomBytes(9).toString('base64url');
  private counter = 0;
  private pendingBytes: Buffer = Buffer.alloc(0);
  /**
   * The room's "*** In the room: ..." line, which follows its greeting for plain clients, is
   * still to come: the welcome frame lists the members again, after the nick is settled.
   */
  private memberLineDue = false;
  /** In plain mode, until the first bytes show they are not a TLS room's notice. */
  private probingForTlsNotice = true;
  private detectTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly peer: string;
  private readonly closedPromise: Promise<CloseInfo>;
  private lostReason: string | undefined;
  /** The room refused the nick or login we started with; we are leaving without a word. */
  private gaveUp = false;
  private settledPromise: Promise<void> | undefined;
  private readonly letters = new LetterTracker();
  private readonly pacer = new Pacer();
  /** Things said and letters, waiting for their turn (see pump). */
  private readonly outbox: ClientRequest[] = [];
  private pumpTimer: NodeJS.Timeout | undefined;
  private welcomed = false;
  /**
   * The hello carries a login (a nick and its secret): nothing we say goes out before the
   * room has decided it, so nothing is said under a guest name we did not ask for.
   */
  private awaitingLogin: boolean;
  /** The room said goodbye before it closed (a crash or a kill says nothing). */
  private sawBye = false;
  /** A plain peer's first line that reads like a refusal ("!!! ..."), held to see if the peer closes next. */
  private heldRefusal: string | undefined;
  private heardPlainLine = false;
  /** Any byte at all came from the peer (a room says its greeting first). */
  private heardAnything = false;
  private receipts: string[] = [];
  /** We ended the conversation, so its close is no news. */
  private leaving = false;

  constructor(
    private readonly socket: Socket,
    private readonly options: ChatClientOptions,
  ) {
    super();
    this.nickname = options.nick;
    this.awaitingLogin = options.nick !== undefined && options.password !== undefined;
    this.encodings = options.encodings ?? { send: DEFAULT_ENCODING, recv: DEFAULT_ENCODING };
    this.decoder = createTextDecoder(this.encodings.recv);
    this.peer = remoteLabel(socket);
    this.closedPromise = new Promise((resolve) => {
      socket.on('close', () => {
        this.flushPlain(true);
        // A peer whose only words were "!!! why" before closing turned us away (a rocket room
        // refusing our address, or a full room): a failure, not a chat line.
        if (this.heldRefusal !== undefined) this.lostReason ??= this.heldRefusal;
        else if (this.state === 'rocket' && !this.sawBye && !this.leaving)
          this.lostReason ??= `${this.peer} closed the connection without a goodbye`;
        else if (!this.heardAnything && this.options.tls?.cert)
          // A room that checks client certificates hangs up, without a word, on one it does
          // not trust (TLS 1.3 finishes the client's side of the handshake first).
          this.lostReason ??= `${this.peer} closed the connection before saying anything: it did not accept your client certificate (--cert)`;
        this.letters.failAll(this.lostReason ?? 'the connection closed before the room confirmed it');
        const previous = this.state;
        this.setMode('closed');
        this.clearTimers();
        const info: CloseInfo =
          this.lostReason !== undefined
            ? { reason: this.lostReason, error: true }
            : this.leaving || previous === 'closed'
              ? {}
              : { reason: `${this.peer} closed the connection` };
        this.emit('close', info);
        resolve(info);
      });
    });
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err) => {
      this.lostReason = describeLostPeer(err);
    });
    this.detectTimer = setTimeout(() => this.becomePlain(), options.detectMs ?? 1000);
  }

  get refusedAtStart(): boolean {
    return this.gaveUp;
  }

  get mode(): ClientMode {
    return this.state;
  }

  /** The nickname the room gave us (rocket rooms), or the one asked for. */
  get nick(): string | undefined {
    return this.nickname;
  }

  get peerLabel(): string {
    return this.peer;
  }

  /** Resolves when the connection has closed, for whatever reason. */
  get closed(): Promise<CloseInfo> {
    return this.closedPromise;
  }

  /** Sends one line: a message, or a /command for a rocket room. Held until we know who the peer is. */
  say(line: string): void {
    if (this.state === 'closed') return;
    if (this.state === 'detect' || this.state === 'upgrading') {
      this.queued.push(line);
      return;
    }
    this.send(line);
  }

  /**
   * The end of our input. A rocket room gets everything acknowledged, then a goodbye; a
   * plain peer gets a FIN and we keep reading until it closes. With `waitMs` we stay that
   * long for replies, then leave.
   */
  async finish(waitMs?: number, goodbye?: string): Promise<CloseInfo> {
    await this.settled();
    this.leaving = true;
    if (this.state === 'rocket') {
      await this.allAcknowledged();
      if (waitMs !== undefined) await this.closedWithin(waitMs);
      this.quit(goodbye);
    } else if (this.state === 'plain') {
      this.socket.end();
      if (waitMs !== undefined && !(await this.closedWithin(waitMs))) this.socket.destroy();
    }
    if (!(await this.closedWithin(5000))) this.socket.destroy();
    return this.closedPromise;
  }

  /**
   * Leaves a letter for `to` in a rocket room; resolves once the room has stored it
   * durably, rejects with the room's reason if it refused.
   */
  async sendLetter(to: string, text: string): Promise<StoredEvent> {
    await this.settled();
    if (this.state !== 'rocket') {
      throw new RocketError(
        'ROCKET_ERR_PROTOCOL',
        `Cannot leave a letter at ${this.peer}: it is not a rocket room`,
      );
    }
    this.counter += 1;
    const id = `${this.idPrefix}-${this.counter.toString(36)}`;
    const stored = this.letters.track(id);
    // In line with what is said, at the room's pace (see pump).
    this.outbox.push({ type: 'mail', id, to, text });
    this.pump();
    return stored;
  }

  /** Resolves with the login event, or rejects with the room's reason. */
  loggedIn(): Promise<LoginEvent> {
    return waitForLogin(this, this.closedPromise, this.nickname);
  }

  /** Letters shown are acknowledged together, once per event-loop turn. */
  private acknowledgeLetter(id: string): void {
    this.receipts.push(id);
    if (this.receipts.length === 1) setImmediate(() => this.flushReceipts());
  }

  private flushReceipts(): void {
    if (this.receipts.length === 0) return;
    const ids = this.receipts;
    this.receipts = [];
    // Several small frames rather than one that could pass the room's frame limit.
    for (let i = 0; i < ids.length; i += 500)
      this.writeFrame({ type: 'received', ids: ids.slice(i, i + 500) });
  }

  /** Leaves now: a goodbye to a rocket room, a FIN to a plain peer. */
  quit(text?: string): void {
    this.leaving = true;
    this.flushReceipts();
    if (this.state === 'rocket') this.writeFrame({ type: 'quit', ...(text ? { text } : {}) });
    if (!this.socket.destroyed) this.socket.end();
  }

  /** Drops the connection at once. */
  destroy(): void {
    this.leaving = true;
    this.socket.destroy();
  }

  private send(line: string): void {
    if (this.state === 'rocket') {
      this.counter += 1;
      const id = `${this.idPrefix}-${this.counter.toString(36)}`;
      this.unacked.add(id);
      this.outbox.push({ type: 'say', id, text: line });
      this.pump();
    } else if (!this.socket.destroyed && !this.socket.writableEnded) {
      this.socket.write(encodeText(`${line}\n`, this.encodings.send));
    }
  }

  /**
   * Sends what waits in the outbox at the room's pace (see Pacer): `rocket connect < file`
   * or `rocket send` with thousands of lines is slowed to the room's rate instead of cut off
   * as flooding.
   */
  private pump(): void {
    // The welcome names the pace; until it comes (it follows the upgrade at once) lines wait,
    // and so they do while a login is being decided (see awaitingLogin).
    if (!this.welcomed || this.awaitingLogin) return;
    while (this.pumpTimer === undefined && this.outbox.length > 0) {
      if (this.state === 'closed') {
        this.outbox.length = 0;
        return;
      }
      const wait = this.pacer.reserve();
      const request = this.outbox.shift()!;
      if (wait === 0) {
        this.writeFrame(request);
        continue;
      }
      this.pumpTimer = setTimeout(() => {
        this.pumpTimer = undefined;
        if (this.state !== 'closed') this.writeFrame(request);
        this.pump();
      }, wait);
    }
  }

  private writeFrame(request: ClientRequest): void {
    if (!this.socket.destroyed && !this.socket.writableEnded) this.socket.write(encodeFrame(request));
  }

  private receive(chunk: Buffer): void {
    this.heardAnything = true;
    switch (this.state) {
      case 'detect':
        this.detect(chunk);
        return;
      case 'upgrading':
        this.upgrading(chunk);
        return;
      case 'plain':
        this.receivePlain(chunk);
        return;
      case 'rocket':
        this.receiveFrames(chunk);
        return;
      case 'closed':
        return;
    }
  }

  private detect(chunk: Buffer): void {
    this.pendingBytes = this.pendingBytes.length === 0 ? chunk : Buffer.concat([this.pendingBytes, chunk]);
    if (this.pendingBytes.subarray(0, TLS_NOTICE.length).equals(TLS_NOTICE)) {
      // A rocket TLS room telling a plain client to use TLS: a failure, not a chat line.
      this.lostReason = `${this.peer} speaks TLS: use rocket connect --tls`;
      this.socket.destroy();
      return;
    }
    const n = Math.min(GREETING_BYTES.length, this.pendingBytes.length);
    if (!this.pendingBytes.subarray(0, n).equals(GREETING_BYTES.subarray(0, n))) {
      this.becomePlain();
      return;
    }
    const newline = this.pendingBytes.indexOf(0x0a);
    if (newline === -1) return; // the rest of the greeting is on its way
    const rest = this.pendingBytes.subarray(newline + 1);
    this.pendingBytes = Buffer.alloc(0);
    this.clearDetectTimer();
    // The greeting line is written for plain clients; a rocket hears the welcome frame instead.
    this.setMode('upgrading');
    this.memberLineDue = true;
    this.socket.write(Buffer.from(`${UPGRADE_REQUEST}\n`, 'latin1'));
    this.writeFrame(helloRequest({ ...this.options, nick: this.nickname }));
    if (rest.length > 0) this.upgrading(rest);
  }

  /** Text lines the room sent before it saw our upgrade, up to its accept line. */
  private upgrading(chunk: Buffer): void {
    let bytes = this.pendingBytes.length === 0 ? chunk : Buffer.concat([this.pendingBytes, chunk]);
    for (;;) {
      const newline = bytes.indexOf(0x0a);
      if (newline === -1) break;
      const line = bytes.subarray(0, newline).toString('utf8').replace(/\r$/, '');
      bytes = bytes.subarray(newline + 1);
      if (line === UPGRADE_ACCEPT) {
        this.pendingBytes = Buffer.alloc(0);
        this.setMode('rocket');
        for (const queuedLine of this.queued.splice(0)) this.send(queuedLine);
        if (bytes.length > 0) this.receiveFrames(bytes);
        return;
      }
      if (this.memberLineDue && line.startsWith(MEMBER_LINE_PREFIX)) {
        this.memberLineDue = false;
        continue;
      }
      this.emit('event', { type: 'info', text: line.replace(/^\*\*\* /, '') });
    }
    this.pendingBytes = bytes;
  }

  private becomePlain(): void {
    if (this.state !== 'detect') return;
    this.clearDetectTimer();
    this.setMode('plain');
    const held = this.pendingBytes;
    this.pendingBytes = Buffer.alloc(0);
    for (const line of this.queued.splice(0)) this.send(line);
    if (held.length > 0) this.receivePlain(held);
  }

  private receivePlain(chunk: Buffer): void {
    if (this.probingForTlsNotice) {
      // A TLS room waits for a client's first bytes (or 3 s) before it says it speaks TLS,
      // which is after we stopped waiting for a greeting: its notice can still be the first
      // thing we hear, and it is a failure, not a chat line.
      const heard = this.pendingBytes.length === 0 ? chunk : Buffer.concat([this.pendingBytes, chunk]);
      const n = Math.min(TLS_NOTICE.length, heard.length);
      if (heard.subarray(0, n).equals(TLS_NOTICE.subarray(0, n))) {
        if (n < TLS_NOTICE.length) {
          this.pendingBytes = heard; // the rest of the notice is on its way, or this is text
          if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
          this.idleTimer = setTimeout(() => this.flushPlain(false), this.options.idleFlushMs ?? 300);
          return;
        }
        this.lostReason = `${this.peer} speaks TLS: use rocket connect --tls`;
        this.socket.destroy();
        return;
      }
      this.probingForTlsNotice = false;
      this.pendingBytes = Buffer.alloc(0);
      chunk = heard;
    }
    const { lines } = this.splitter.push(this.decoder.write(chunk));
    for (const line of lines) this.emitPlainLine(line);
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.splitter.pendingText !== '') {
      this.idleTimer = setTimeout(() => this.flushPlain(false), this.options.idleFlushMs ?? 300);
    }
  }

  private flushPlain(final: boolean): void {
    if (this.state !== 'plain') return;
    if (this.probingForTlsNotice && this.pendingBytes.length > 0) {
      // The peer paused or stopped after what looked like the start of the notice: text.
      this.probingForTlsNotice = false;
      const { lines } = this.splitter.push(this.decoder.write(this.pendingBytes));
      this.pendingBytes = Buffer.alloc(0);
      for (const line of lines) this.emitPlainLine(line);
    }
    if (final) {
      const tail = this.decoder.end();
      if (tail) this.splitter.push(tail);
    }
    const line = this.splitter.takePending();
    if (line !== undefined) this.emitPlainLine(line);
  }

  private releaseHeldRefusal(): void {
    if (this.heldRefusal === undefined || this.state === 'closed') return;
    const held = this.heldRefusal;
    this.heldRefusal = undefined;
    this.emitPlainLine(`!!! ${held}`);
  }

  private emitPlainLine(text: string): void {
    if (!this.heardPlainLine && text.startsWith('!!! ')) {
      this.heardPlainLine = true;
      this.heldRefusal = text.slice(4);
      // A room that refuses closes at once; a peer that stays is talking, so show it.
      setTimeout(() => this.releaseHeldRefusal(), REFUSAL_WAIT_MS).unref();
      return;
    }
    this.heardPlainLine = true;
    this.releaseHeldRefusal();
    this.counter += 1;
    this.emit('event', {
      type: 'message',
      id: `${this.idPrefix}-r${this.counter}`,
      ts: Date.now(),
      from: this.peer,
      text,
    });
  }

  private receiveFrames(chunk: Buffer): void {
    let events: unknown[];
    try {
      events = this.frames.push(chunk);
    } catch (err) {
      this.lostReason = err instanceof RocketError ? err.message : 'the room sent something unreadable';
      this.socket.destroy();
      return;
    }
    for (const value of events) this.handleFrame(value as ChatEvent | { type: 'pong' });
  }

  private handleFrame(event: ChatEvent | { type: 'pong' }): void {
    // Given up (see giveUp): the room's welcome to the guest we are not staying as is noise.
    if (this.gaveUp) return;
    switch (event.type) {
      case 'ack':
        this.unacked.delete(event.id);
        if (this.unacked.size === 0) this.emit('mode', this.state); // wakes allAcknowledged()
        return;
      case 'pong':
        return;
      case 'welcome':
        this.nickname = event.nick;
        this.pacer.setRate(event.rate);
        this.welcomed = true;
        this.pump();
        break;
      case 'login':
        this.nickname = event.nick;
        this.awaitingLogin = false;
        this.pump();
        break;
      case 'bye':
        this.sawBye = true;
        break;
      case 'stored':
        this.letters.settle(event.id, event);
        break;
      case 'error':
        if (event.id !== undefined) this.letters.fail(event.id, event.text);
        // The room is turning us away: that, not "connection closed", is why things fail.
        if (event.code === 'room-password' || event.code === 'flood') this.lostReason = event.text;
        if (event.code === 'login' && this.awaitingLogin) {
          // The login we were started with failed: say nothing as a guest; the caller hears why.
          this.awaitingLogin = false;
          this.giveUp(event, `Cannot log in as ${this.options.nick ?? '?'}: ${event.text}`);
          return;
        }
        if (event.code === 'nick' && !this.welcomed && this.options.nick !== undefined) {
          // The nick we asked for in the hello was refused (taken, a look-alike, registered):
          // nothing goes out under the guest name given instead.
          this.giveUp(event, nickRefusalReason(this.options.nick, event.text));
          return;
        }
        break;
      case 'nick':
        if (event.from === this.nickname) this.nickname = event.to;
        break;
      case 'message':
        if (event.stored) this.acknowledgeLetter(event.id);
        if (this.seen.has(event.id)) return; // delivered twice (at-least-once delivery)
        this.seen.add(event.id);
        break;
      default:
        break;
    }
    this.emit('event', event);
  }

  /** Ends the session before we said anything, because the room refused who we asked to be. */
  private giveUp(event: ChatEvent, reason: string): void {
    this.gaveUp = true;
    this.lostReason = reason;
    this.emit('event', event);
    this.outbox.length = 0;
    this.unacked.clear();
    this.quit();
  }

  /** Resolves once we know whether the peer is a rocket. */
  private settled(): Promise<void> {
    if (this.state !== 'detect' && this.state !== 'upgrading') return Promise.resolve();
    // One shared wait, however many letters are queued behind it.
    this.settledPromise ??= new Promise((resolve) => {
      const onMode = (mode: ClientMode): void => {
        if (mode === 'detect' || mode === 'upgrading') return;
        this.off('mode', onMode);
        resolve();
      };
      this.on('mode', onMode);
    });
    return this.settledPromise;
  }

  private allAcknowledged(): Promise<void> {
    if (this.unacked.size === 0 || this.state === 'closed') return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.unacked.size > 0 && this.state !== 'closed') return;
        this.off('mode', check);
        resolve();
      };
      this.on('mode', check);
    });
  }

  /** True if the connection closed within `ms`. */
  private async closedWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const result = await Promise.race([this.closedPromise.then(() => true as const), timeout]);
    clearTimeout(timer);
    return result;
  }

  private setMode(mode: ClientMode): void {
    this.state = mode;
    this.emit('mode', mode);
  }

  private clearDetectTimer(): void {
    if (this.detectTimer !== undefined) clearTimeout(this.detectTimer);
    this.detectTimer = undefined;
  }

  private clearTimers(): void {
    this.clearDetectTimer();
    if (this.pumpTimer !== undefined) clearTimeout(this.pumpTimer);
    this.pumpTimer = undefined;
    this.outbox.length = 0;
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}

/** Connects to a room or any TCP peer; rejects with a RocketError that says why not. */
export async function connectChat(options: ChatClientOptions): Promise<ChatClient> {
  const target = { host: options.host, port: options.port, timeoutMs: options.connectTimeoutMs };
  const socket = options.tls ? await connectTls({ ...target, tls: options.tls }) : await connectTcp(target);
  return new ChatClient(socket, options);
}
