import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { EventEmitter } from 'node:events';
import { RocketError } from '../errors.js';
import { createTextDecoder, DEFAULT_ENCODING, type EncodingPair, encodeText } from '../protocol/codec.js';
import type { ChatEvent, LoginEvent, StoredEvent } from '../protocol/events.js';
import { GREETING_PREFIX, helloRequest } from '../protocol/handshake.js';
import { LineSplitter } from '../protocol/line-splitter.js';
import { RecentIds } from '../protocol/recent-ids.js';
import { sanitizeText } from '../protocol/sanitize.js';
import {
  decodeDatagram,
  encodeDatagram,
  isRocketDatagram,
  MAX_UDP_TEXT_BYTES,
} from '../protocol/udp-wire.js';
import { describeConnectError, formatHostPort } from '../transport/socket-errors.js';
import { LetterTracker } from './letter-tracker.js';
import { Pacer } from './pacer.js';
import type { ChatConnection, ClientEvents, ClientMode, CloseInfo } from './types.js';
import { nickRefusalReason, waitForLogin } from './wait-for-login.js';

export interface UdpChatClientOptions {
  host: string;
  port: number;
  nick?: string;
  /** The nick's secret: logs in (letters waiting are handed over), or claims the nick if free. */
  password?: string;
  /** false: the password only logs in, it never claims a free nick (rocket inbox). */
  claim?: boolean;
  /** Talk rocket at once (for letters), instead of waiting for a room's greeting. */
  assumeRocket?: boolean;
  /** The room password of a protected room (implies talking rocket at once). */
  roomPassword?: string;
  encodings?: EncodingPair;
  /** First retransmission delay for an unacknowledged message; doubles each time. */
  retransmitMs?: number;
  /** Retransmissions before a message counts as lost. */
  maxRetransmits?: number;
}

interface Outstanding {
  datagram: Buffer;
  tries: number;
  timer: NodeJS.Timeout;
}

/**
 * Peppa's side over UDP. It sends only what is typed, as text, until the peer shows it is
 * a rocket room (its greeting); then messages travel as JSON datagrams with ids that the
 * room acknowledges, and are sent again until they are.
 */
/** How long the end of input waits for a rocket room's greeting after plain words. */
const GREETING_WAIT_MS = 1000;
/** How long leaving waits for the room's goodbye. */
const BYE_WAIT_MS = 500;

export class UdpChatClient extends EventEmitter<ClientEvents> implements ChatConnection {
  private state: ClientMode = 'plain';
  private nickname: string | undefined;
  private readonly encodings: EncodingPair;
  private readonly decoder;
  private readonly seen = new RecentIds(10_000);
  private readonly outstanding = new Map<string, Outstanding>();
  // Random, so letters from different clients never share an id (the store drops repeats by id).
  private readonly idPrefix = randomBytes(9).toString('base64url');
  private counter = 0;
  private keepalive: NodeJS.Timeout | undefined;
  private readonly closedPromise: Promise<CloseInfo>;
  private resolveClosed!: (info: CloseInfo) => void;
  private inFlightSends = 0;
  /** We sent the peer something / the peer sent us something. */
  private spoke = false;
  private heard = false;
  /** The room refused the nick or login we started with; we are leaving without a word. */
  private gaveUp = false;
  private readonly letters = new LetterTracker();
  private readonly pacer = new Pacer();
  private ready: Promise<void> | undefined;
  private receipts: string[] = [];
  private helloTimer: NodeJS.Timeout | undefined;
  /** We said goodbye: the room's own goodbye is the answer, not news. */
  private leaving = false;
  /**
   * Lines typed after the first while we do not know yet whether the peer is a rocket room:
   * they wait (GREETING_WAIT_MS at most) so that a room gets them as acknowledged, paced
   * messages under our nick rather than a burst of plain text its rate limit would drop.
   */
  private readonly early: string[] = [];
  private earlyTimer: NodeJS.Timeout | undefined;
  /** Lines for a rocket room, sent at its pace (see pump). */
  private readonly outbox: string[] = [];
  private pumpTimer: NodeJS.Timeout | undefined;
  /** The hello carries a login: nothing is said before the room has decided it. */
  private awaitingLogin: boolean;
  /** One shared wait for that decision, however many letters are queued behind it. */
  private loginDecided: Promise<void> | undefined;

  constructor(
    private readonly socket: dgram.Socket,
    readonly peerLabel: string,
    private readonly options: UdpChatClientOptions,
  ) {
    super();
    this.nickname = options.nick;
    this.awaitingLogin = options.nick !== undefined && options.password !== undefined;
    this.encodings = options.encodings ?? { send: DEFAULT_ENCODING, recv: DEFAULT_ENCODING };
    this.decoder = createTextDecoder(this.encodings.recv);
    this.closedPromise = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    socket.on('message', (datagram: Buffer) => this.receive(datagram));
    // A secret means a rocket room (only one checks it): say hello at once, so the login
    // happens even when there is nothing to say (connect --udp --password-file F < /dev/null).
    if (options.assumeRocket || options.roomPassword !== undefined || options.password !== undefined)
      this.upgrade();
    socket.on('error', (err) => {
      // A connected UDP socket hears ICMP "port unreachable" as ECONNREFUSED.
      const error = describeConnectError(err, options.host, options.port, 'udp');
      this.end({ reason: error.message, error: true });
    });
  }

  get refusedAtStart(): boolean {
    return this.gaveUp;
  }

  get mode(): ClientMode {
    return this.state;
  }

  get nick(): string | undefined {
    return this.nickname;
  }

  get closed(): Promise<CloseInfo> {
    return this.closedPromise;
  }

  say(line: string): void {
    if (this.state === 'closed') return;
    if (Buffer.byteLength(line) > MAX_UDP_TEXT_BYTES) {
      this.emit('event', {
        type: 'error',
        code: 'too-long',
        text: `not sent: ${Buffer.byteLength(line)} bytes do not fit one safe datagram (limit ${MAX_UDP_TEXT_BYTES}); split it, or use TCP`,
      });
      return;
    }
    if (this.state === 'rocket') {
      this.outbox.push(line);
      this.pump();
    } else if (this.state === 'plain' && (!this.spoke || this.heard)) {
      // Our first words, or a peer that has answered in plain text: it is not a rocket room.
      this.send(encodeText(`${line}\n`, this.encodings.send));
    } else {
      this.early.push(line);
      this.earlyTimer ??= setTimeout(() => this.sayEarlyPlainly(), GREETING_WAIT_MS);
    }
  }

  /** No rocket room answered our first words in time: the lines that waited go as plain text. */
  private sayEarlyPlainly(): void {
    if (this.earlyTimer !== undefined) clearTimeout(this.earlyTimer);
    this.earlyTimer = undefined;
    if (this.state !== 'plain') return; // upgrading: they go once the room welcomes us
    for (const line of this.early.splice(0)) this.send(encodeText(`${line}\n`, this.encodings.send));
    this.emit('mode', this.state);
  }

  /** Sends the outbox at the room's pace; each message is then sent again until acknowledged. */
  private pump(): void {
    if (this.state !== 'rocket' || this.awaitingLogin) return;
    while (this.pumpTimer === undefined && this.outbox.length > 0) {
      const wait = this.pacer.reserve();
      if (wait > 0) {
        this.pumpTimer = setTimeout(() => {
          this.pumpTimer = undefined;
          if (this.state !== 'rocket') return;
          this.sayNow(this.outbox.shift()!);
          this.pump();
        }, wait);
        return;
      }
      this.sayNow(this.outbox.shift()!);
    }
  }

  private sayNow(line: string): void {
    this.counter += 1;
    const id = `${this.idPrefix}-${this.counter.toString(36)}`;
    const datagram = encodeDatagram({ type: 'say', id, text: line });
    this.outstanding.set(id, { datagram, tries: 0, timer: this.retransmitLater(id, 0) });
    this.send(datagram);
  }

  async finish(waitMs?: number, goodbye?: string): Promise<CloseInfo> {
    // What we said went out as text; give a rocket room a moment to answer (its greeting
    // lets us say hello, so the words carry our nick and our goodbye is heard).
    if (this.spoke && !this.heard && (this.state === 'plain' || this.state === 'upgrading')) {
      await Promise.race([
        new Promise<void>((resolve) => {
          const check = (mode: ClientMode): void => {
            // Done when the room welcomed us, or a peer that is not a rocket answered.
            const answeredPlainly = this.heard && mode === 'plain';
            if (mode !== 'rocket' && mode !== 'closed' && !answeredPlainly) return;
            this.off('mode', check);
            resolve();
          };
          this.on('mode', check);
        }),
        new Promise((resolve) => setTimeout(resolve, GREETING_WAIT_MS)),
      ]);
    }
    if (this.state === 'plain') this.sayEarlyPlainly();
    await this.drained();
    if (waitMs !== undefined) {
      await Promise.race([this.closedPromise, new Promise((r) => setTimeout(r, waitMs))]);
    }
    this.quit(goodbye);
    return this.closedPromise;
  }

  quit(text?: string): void {
    if (this.state === 'closed') return;
    this.flushReceipts();
    if (this.state === 'rocket') {
      // The room answers with its goodbye; a lost datagram must not keep us waiting long.
      this.leaving = true;
      this.send(encodeDatagram({ type: 'quit', ...(text ? { text } : {}) }));
      setTimeout(() => this.end({}), BYE_WAIT_MS).unref();
    } else {
      this.end({});
    }
  }

  destroy(): void {
    this.end({});
  }

  private send(datagram: Buffer, done?: () => void): void {
    // Closed (the room went away, say): its socket would throw, and whoever sent would never
    // hear that its letter failed; the letter tracker has already told them.
    if (this.state === 'closed') {
      done?.();
      return;
    }
    this.spoke = true;
    this.inFlightSends += 1;
    this.socket.send(datagram, () => {
      this.inFlightSends -= 1;
      if (this.inFlightSends === 0) this.emit('mode', this.state);
      done?.();
    });
  }

  private retransmitLater(id: string, tries: number): NodeJS.Timeout {
    const delay = (this.options.retransmitMs ?? 250) * 2 ** tries;
    return setTimeout(() => {
      const entry = this.outstanding.get(id);
      if (entry === undefined || this.state === 'closed') return;
      if (entry.tries >= (this.options.maxRetransmits ?? 6)) {
        this.outstanding.delete(id);
        // A letter the room never confirmed fails (rocket send then exits 1), instead of
        // leaving its sender waiting for ever.
        if (this.letters.has(id)) this.letters.fail(id, 'the room did not confirm it after repeated tries');
        else
          this.emit('event', {
            type: 'error',
            code: 'lost',
            text: 'a message was not acknowledged by the room',
          });
        this.emit('mode', this.state);
        return;
      }
      entry.tries += 1;
      entry.timer = this.retransmitLater(id, entry.tries);
      this.send(entry.datagram);
    }, delay);
  }

  private receive(datagram: Buffer): void {
    if (this.state === 'closed') return;
    const first = !this.heard;
    this.heard = true;
    if (first && this.state !== 'rocket' && datagram.subarray(0, 4).toString('latin1') === '!!! ') {
      // A rocket room turning a new peer away (full, too many from this address) says only
      // that, as text: a failure, not the first line of a conversation.
      const reason = datagram.toString('utf8', 4).split('\n')[0]!.trim();
      this.end({ reason: sanitizeText(reason), error: true });
      return;
    }
    if (isRocketDatagram(datagram)) {
      const value = decodeDatagram(datagram);
      if (value !== undefined) this.handleRocket(value as unknown as ChatEvent | { type: 'pong' });
      return;
    }
    const text = this.decoder.write(datagram);
    const splitter = new LineSplitter(Number.POSITIVE_INFINITY);
    const { lines } = splitter.push(text);
    const tail = splitter.takePending();
    for (const line of tail === undefined ? lines : [...lines, tail]) {
      if (this.state === 'plain' && line.startsWith(GREETING_PREFIX)) {
        this.upgrade();
        continue;
      }
      if (this.state === 'upgrading') {
        // The rest of a rocket room's greeting, meant for plain clients.
        continue;
      }
      if (this.early.length > 0) this.sayEarlyPlainly(); // a plain peer answered
      this.counter += 1;
      this.emit('event', {
        type: 'message',
        id: `r${this.counter}`,
        ts: Date.now(),
        from: this.peerLabel,
        text: line,
      });
    }
  }

  /** Says hello as a rocket, again until the room welcomes us (datagrams get lost). */
  private upgrade(): void {
    this.state = 'upgrading';
    const hello = encodeDatagram(helloRequest({ ...this.options, nick: this.nickname }));
    let tries = 0;
    const sendHello = (): void => {
      if (this.state !== 'upgrading') return;
      if (tries++ >= (this.options.maxRetransmits ?? 6)) {
        this.end({ reason: `no rocket room answered at ${this.peerLabel} (udp)`, error: true });
        return;
      }
      this.send(hello);
      this.helloTimer = setTimeout(sendHello, (this.options.retransmitMs ?? 250) * 2 ** tries);
    };
    sendHello();
  }

  /** Leaves a letter for `to`; sent again until the room confirms it stored (or refuses it). */
  async sendLetter(to: string, text: string): Promise<StoredEvent> {
    // After the end the tracker refuses at once, with the reason the conversation ended.
    if (this.state === 'closed') return this.letters.track(this.idPrefix);
    await this.rocketReady();
    // Signed by the nick we log in to, not by the guest we are until the room decides.
    if (this.awaitingLogin) {
      this.loginDecided ??= this.loggedIn().then(
        () => undefined,
        () => undefined,
      );
      await this.loginDecided;
    }
    // A room that went away fails the letters still waiting for their turn at once.
    await Promise.race([this.pacer.turn(), this.closedPromise]);
    this.counter += 1;
    const id = `${this.idPrefix}-${this.counter.toString(36)}`;
    const stored = this.letters.track(id);
    const datagram = encodeDatagram({ type: 'mail', id, to, text });
    this.outstanding.set(id, { datagram, tries: 0, timer: this.retransmitLater(id, 0) });
    this.send(datagram);
    return stored;
  }

  /** Resolves with the login event, or rejects with the room's reason. */
  loggedIn(): Promise<LoginEvent> {
    return waitForLogin(this, this.closedPromise, this.nickname);
  }

  /** One wait for the room's welcome, however many letters are waiting on it. */
  private rocketReady(): Promise<void> {
    if (this.state === 'rocket') return Promise.resolve();
    if (this.state === 'plain') this.upgrade();
    this.ready ??= new Promise((resolve, reject) => {
      const check = (mode: ClientMode): void => {
        if (mode === 'rocket') {
          this.off('mode', check);
          resolve();
        } else if (mode === 'closed') {
          this.off('mode', check);
          reject(
            new RocketError(
              'ROCKET_ERR_PROTOCOL',
              `Cannot leave a letter at ${this.peerLabel}: no rocket room answered`,
            ),
          );
        }
      };
      this.on('mode', check);
    });
    return this.ready;
  }

  private acknowledgeLetter(id: string): void {
    this.receipts.push(id);
    if (this.receipts.length === 1) setImmediate(() => this.flushReceipts());
  }

  private flushReceipts(): void {
    if (this.receipts.length === 0 || this.state === 'closed') return;
    const ids = this.receipts;
    this.receipts = [];
    // Ids are ~16 bytes: 40 to a datagram keeps each one under the safe size.
    for (let i = 0; i < ids.length; i += 40)
      this.send(encodeDatagram({ type: 'received', ids: ids.slice(i, i + 40) }));
  }

  private handleRocket(event: ChatEvent | { type: 'pong' }): void {
    switch (event.type) {
      case 'ack': {
        const entry = this.outstanding.get(event.id);
        if (entry) clearTimeout(entry.timer);
        this.outstanding.delete(event.id);
        this.emit('mode', this.state);
        return;
      }
      case 'pong':
        return;
      case 'login':
        this.nickname = event.nick;
        this.awaitingLogin = false;
        this.pump();
        break;
      case 'stored':
      case 'error': {
        if (event.type === 'error' && event.code === 'login' && this.awaitingLogin) {
          // The login we were started with failed: say nothing as a guest; the caller hears why.
          this.giveUp(event, `Cannot log in as ${this.options.nick ?? '?'}: ${event.text}`);
          return;
        }
        if (
          event.type === 'error' &&
          event.code === 'nick' &&
          this.state !== 'rocket' &&
          this.options.nick !== undefined
        ) {
          // The nick asked for in the hello was refused: nothing goes out under the guest name.
          this.giveUp(event, nickRefusalReason(this.options.nick, event.text));
          return;
        }
        const id = event.id;
        if (id !== undefined) {
          const entry = this.outstanding.get(id);
          if (entry) clearTimeout(entry.timer);
          this.outstanding.delete(id);
          if (event.type === 'stored') this.letters.settle(id, event);
          else this.letters.fail(id, event.text);
          this.emit('mode', this.state);
        }
        break;
      }
      case 'welcome':
        if (this.helloTimer) clearTimeout(this.helloTimer);
        this.nickname = event.nick;
        this.pacer.setRate(event.rate);
        this.state = 'rocket';
        this.keepalive = setInterval(
          () => this.send(encodeDatagram({ type: 'ping', seq: 0, ts: Date.now() })),
          30_000,
        );
        this.keepalive.unref();
        if (this.earlyTimer !== undefined) clearTimeout(this.earlyTimer);
        this.earlyTimer = undefined;
        this.outbox.push(...this.early.splice(0));
        this.pump();
        this.emit('mode', this.state);
        break;
      case 'nick':
        if (event.from === this.nickname) this.nickname = event.to;
        break;
      case 'message':
        if (event.stored) this.acknowledgeLetter(event.id);
        if (this.seen.has(event.id)) return;
        this.seen.add(event.id);
        break;
      case 'bye':
        this.emit('event', event);
        this.end(this.leaving ? {} : { reason: `${this.peerLabel} closed the room` });
        return;
      default:
        break;
    }
    this.emit('event', event);
  }

  /** Resolves when every datagram has left and every message is acknowledged (or given up). */
  private drained(): Promise<void> {
    const done = (): boolean =>
      this.state === 'closed' ||
      (this.inFlightSends === 0 &&
        this.outstanding.size === 0 &&
        this.outbox.length === 0 &&
        this.early.length === 0);
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (!done()) return;
        this.off('mode', check);
        resolve();
      };
      this.on('mode', check);
    });
  }

  /** Ends the session before we said anything, because the room refused who we asked to be. */
  private giveUp(event: ChatEvent, reason: string): void {
    this.gaveUp = true;
    this.emit('event', event);
    this.outbox.length = 0;
    this.early.length = 0;
    // The room has us as a guest now, whether welcomed yet or not: let it go at once.
    this.send(encodeDatagram({ type: 'quit' }));
    this.end({ reason, error: true });
  }

  private end(info: CloseInfo): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    for (const entry of this.outstanding.values()) clearTimeout(entry.timer);
    if (this.helloTimer) clearTimeout(this.helloTimer);
    if (this.earlyTimer) clearTimeout(this.earlyTimer);
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    this.letters.failAll(info.reason ?? 'the conversation ended before the room confirmed it');
    if (this.keepalive) clearInterval(this.keepalive);
    this.emit('mode', 'closed');
    try {
      this.socket.close();
    } catch {
      // already closed
    }
    this.emit('close', info);
    this.resolveClosed(info);
  }
}

/** Opens a UDP conversation with a room or any UDP peer (nothing is sent until you say something). */
export async function connectUdpChat(options: UdpChatClientOptions): Promise<UdpChatClient> {
  let address: { address: string; family: number };
  try {
    address = await lookup(options.host);
  } catch (err) {
    throw describeConnectError(err, options.host, options.port, 'udp');
  }
  const socket = dgram.createSocket(address.family === 6 ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(options.port, address.address, () => {
      socket.off('error', reject);
      resolve();
    });
  }).catch((err: unknown) => {
    socket.close();
    throw describeConnectError(err, options.host, options.port, 'udp');
  });
  return new UdpChatClient(socket, formatHostPort(options.host, options.port), options);
}
