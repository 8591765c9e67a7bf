import { createHash, timingSafeEqual } from 'node:crypto';
import { checkEncoding } from '../protocol/codec.js';
import { COMMAND_HELP, type Command, parseCommand } from '../protocol/commands.js';
import type { ChatEvent, MessageEvent } from '../protocol/events.js';
import { sanitizeText } from '../protocol/sanitize.js';
import { MailRefusal } from '../store/mail-store.js';
import { LoginThrottle } from './login-throttle.js';
import type { Mailroom } from './mailroom.js';
import type { Member } from './member.js';
import { nickKey, nickProblem, nickSkeleton } from './nicknames.js';
import { RenderedBatch, RenderedEvent } from './rendered-event.js';
import { ROCKET_ENCODING_NOTE } from './room-text.js';

/**
 * Above this many members, joins, leaves and renames are not broadcast one by one: with N
 * people arriving together that is N x N lines (10,000 clients: 100 million lines, a minute of the
 * room's CPU, and readers dropped for falling behind). They are told instead in one summary
 * line per kind every ANNOUNCE_EVERY_MS.
 */
export const CROWD_SIZE = 100;
const ANNOUNCE_EVERY_MS = 1000;

/**
 * From this many members on, broadcasts made while handling one input (say, the lines of
 * one read) go out together: each member gets them as one shared buffer per encoding,
 * instead of one buffer per line. With 10,000 members and a burst of 600 lines, that is
 * 10,000 writes of one shared buffer rather than six million queued references, copies
 * and writev entries.
 */
export const BATCH_ROOM_SIZE = CROWD_SIZE;
const NAMES_IN_SUMMARY = 10;

/** A login or registration being decided: the member's next lines wait for `promise`. */
interface Decision {
  promise: Promise<void>;
  settle: () => void;
}

export interface RoomOptions {
  /** Shown in greetings: usually the host name. */
  name: string;
  /** Accounts and letters for people who are away; without it the room keeps no letters. */
  mailroom?: Mailroom;
  /** A room password: nobody sees or says anything before giving it. */
  password?: string;
  /** Hears of store failures (a damaged or vanished file) for the room's log; the member is told too. */
  onStoreError?: (message: string) => void;
}

/**
 * A store failure as a peer may read it: where the room keeps its file is the room's
 * business (the room's own log has the full line).
 */
function forPeers(text: string): string {
  return text.replace(/Cannot use the letter store .*?\.db: /, "the room's letter store: ");
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret.normalize('NFKC')).digest();
}

/**
 * A chat room: who is in it, what they may do, and who receives what. It knows nothing
 * of sockets; members are reached through the Member interface, so the same room serves
 * TCP, UDP and the local terminal at once.
 */
export class Room {
  readonly name: string;
  /** Everyone who receives broadcasts, joined or still being greeted. */
  private readonly attached = new Set<Member>();
  /** Announced members by nickKey(nick). */
  private readonly joined = new Map<string, Member>();
  private guestCounter = 0;
  private messageCounter = 0;
  private readonly idPrefix = Date.now().toString(36);
  private closed = false;
  readonly mailroom: Mailroom | undefined;
  private readonly passwordDigest: Buffer | undefined;
  /** Members whose live traffic waits while their letters are handed over. */
  private readonly held = new Map<Member, Array<[ChatEvent, RenderedEvent]>>();
  /** Joined members by the shape of their nick on screen (nickSkeleton): no two look alike. */
  private readonly lookalikes = new Map<string, Member>();
  /** Nicks that joined or left since the last summary (crowded rooms only). */
  private readonly arrivals: string[] = [];
  private readonly departures: string[] = [];
  /** "old -> new" for renames since the last summary (crowded rooms only). */
  private readonly renames: string[] = [];
  private announceTimer: NodeJS.Timeout | undefined;
  /** Broadcasts not handed to members yet (big rooms only); see flushBroadcasts(). */
  private pendingBroadcasts: Array<{ event: ChatEvent; rendered: RenderedEvent; except?: Member }> = [];
  private flushQueued = false;
  /** Inside flushBroadcasts(), handing a batch over. */
  private flushing = false;
  /** Logins and registrations not decided yet, by member (see decisionFor). */
  private readonly deciding = new Map<Member, Decision>();
  private readonly loginThrottle = new LoginThrottle();
  private readonly onStoreError: ((message: string) => void) | undefined;

  constructor(options: RoomOptions) {
    this.name = options.name;
    this.mailroom = options.mailroom;
    this.passwordDigest = options.password === undefined ? undefined : digest(options.password);
    this.onStoreError = options.onStoreError;
  }

  get isProtected(): boolean {
    return this.passwordDigest !== undefined;
  }

  /** Compares digests in constant time, so timing tells nothing about the password. */
  checkRoomPassword(given: string): boolean {
    return this.passwordDigest === undefined || timingSafeEqual(digest(given), this.passwordDigest);
  }

  /** Starts delivering to a member under a guest name; it is announced by join(). */
  attach(member: Member): void {
    if (this.closed) throw new Error('room is closed');
    this.flushBroadcasts(); // what was said before it came is not for it
    member.nick = this.nextGuestNick();
    this.attached.add(member);
  }

  /**
   * Announces a member to the room. A wanted nick that is invalid or taken is refused
   * with an error to the member, who keeps the guest name.
   */
  join(member: Member, wantedNick?: string): void {
    if (!this.attached.has(member) || this.isJoined(member)) return;
    if (wantedNick !== undefined && wantedNick !== member.nick) {
      const problem = this.nickRefusal(wantedNick, member);
      if (problem)
        this.sendTo(member, { type: 'error', code: 'nick', text: `${problem}; you are ${member.nick}` });
      else member.nick = wantedNick;
    }
    this.addJoined(member);
    if (this.isCrowded()) this.summarize(this.arrivals, member.nick);
    else this.broadcast({ type: 'join', nick: member.nick, ts: Date.now() }, member);
  }

  /**
   * Joins a rocket under the nick its hello asked for. A refused nick is said to the member,
   * who is not announced: rocket connect gives up at once, and the room should not hear a
   * guest come and go. Returns whether it joined; one that stays after all joins as the
   * guest when it first speaks, or when its session decides.
   */
  joinAsAsked(member: Member, nick: string): boolean {
    if (!this.attached.has(member) || this.isJoined(member)) return this.isJoined(member);
    const problem = nick === member.nick ? undefined : this.nickRefusal(nick, member);
    if (problem) {
      this.sendTo(member, { type: 'error', code: 'nick', text: `${problem}; you are ${member.nick}` });
      return false;
    }
    this.join(member, nick);
    return true;
  }

  private addJoined(member: Member): void {
    this.joined.set(nickKey(member.nick), member);
    this.lookalikes.set(nickSkeleton(member.nick), member);
  }

  private removeJoined(member: Member): void {
    this.joined.delete(nickKey(member.nick));
    const skeleton = nickSkeleton(member.nick);
    if (this.lookalikes.get(skeleton) === member) this.lookalikes.delete(skeleton);
  }

  isJoined(member: Member): boolean {
    return this.joined.get(nickKey(member.nick)) === member;
  }

  /** Removes a member; others hear that it left if it had been announced. */
  leave(member: Member, reason?: string): void {
    if (!this.attached.has(member)) return;
    this.flushBroadcasts(); // what was said while it was here still reaches it
    // Held while its letters are handed over: what waited (answers to its own commands, say)
    // is still its to read; the letters not handed over yet stay stored.
    if (this.held.has(member)) this.hold(member, false);
    this.attached.delete(member);
    if (this.isJoined(member)) {
      this.removeJoined(member);
      if (this.isCrowded()) this.summarize(this.departures, member.nick);
      else
        this.broadcast({ type: 'leave', nick: member.nick, ts: Date.now(), ...(reason ? { reason } : {}) });
    }
  }

  /** Nicks of the announced members, in joining order. */
  who(): string[] {
    return [...this.joined.values()].map((m) => m.nick);
  }

  get size(): number {
    return this.attached.size;
  }

  /**
   * One line from a member: a message or a /command. Returns the message event when the
   * line was said to the room or to one member, so the caller can acknowledge its id.
   */
  input(member: Member, line: string, id?: string): MessageEvent | undefined {
    if (!this.attached.has(member)) return undefined;
    const command = parseCommand(line);
    if (command.name === 'say' || command.name === 'me') return this.dispatch(member, command, id);
    // Only plain messages may wait in a batch; anything else keeps its place after them, and
    // what it broadcasts (a rename, a leave) is out before the caller answers the member
    // (a rocket's ack of "/nick x" must not overtake its own nick event).
    this.flushBroadcasts();
    const said = this.dispatch(member, command, id);
    this.flushBroadcasts();
    return said;
  }

  private dispatch(member: Member, command: Command, id: string | undefined): MessageEvent | undefined {
    if (!this.isJoined(member)) {
      // A newcomer whose first words are /nick joins under that name, not as a guest.
      if (command.name === 'nick') {
        const guest = member.nick;
        this.join(member, command.nick);
        // The others hear "carol joined"; carol hears her rename confirmed.
        if (member.nick !== guest)
          this.sendTo(member, { type: 'nick', from: guest, to: member.nick, ts: Date.now() });
        return undefined;
      }
      // One who leaves before a word (a rocket turned away as the nick it asked for) is not
      // announced only to be seen off.
      if (command.name !== 'quit') this.join(member);
    }
    switch (command.name) {
      case 'say':
        return this.say(member, { text: command.text }, id);
      case 'me':
        return this.say(member, { text: command.text, action: true }, id);
      case 'msg':
        return this.sayPrivately(member, command.to, command.text, id);
      case 'nick':
        this.rename(member, command.nick);
        return undefined;
      case 'who':
        this.sendTo(member, { type: 'who', nicks: this.who() });
        return undefined;
      case 'encoding':
        this.changeEncoding(member, command.encoding);
        return undefined;
      case 'help':
        for (const text of ['Commands:', ...COMMAND_HELP]) this.sendTo(member, { type: 'info', text });
        return undefined;
      case 'quit':
        this.leave(member, command.text ? sanitizeText(command.text) : 'quit');
        member.close({ type: 'bye', text: 'Goodbye' });
        return undefined;
      case 'register':
        void this.register(member, command.secret);
        return undefined;
      case 'login':
        void this.login(member, command.nick, command.secret, false);
        return undefined;
      case 'invalid':
        this.sendTo(member, { type: 'error', code: 'command', text: command.text });
        return undefined;
    }
  }

  private isCrowded(): boolean {
    return this.attached.size > CROWD_SIZE || this.announceTimer !== undefined;
  }

  private summarize(names: string[], nick: string): void {
    names.push(nick);
    if (this.announceTimer !== undefined) return;
    this.announceTimer = setTimeout(() => this.announceSummary(), ANNOUNCE_EVERY_MS);
    this.announceTimer.unref();
  }

  /** "guest-1, guest-2, ... and 9,990 more joined; /who lists everyone" */
  private announceSummary(): void {
    this.announceTimer = undefined;
    for (const [names, verb] of [
      [this.arrivals, 'joined'],
      [this.departures, 'left'],
      [this.renames, 'changed their nick'],
    ] as const) {
      if (names.length === 0) continue;
      const shown = names.slice(0, NAMES_IN_SUMMARY).join(', ');
      const more =
        names.length > NAMES_IN_SUMMARY
          ? ` and ${(names.length - NAMES_IN_SUMMARY).toLocaleString('en-US')} more`
          : '';
      names.length = 0;
      this.broadcast({ type: 'info', text: `${shown}${more} ${verb}; /who lists everyone` });
    }
  }

  /** Says goodbye to everyone and refuses new members. */
  close(text = 'The room is closing. Goodbye'): void {
    this.flushBroadcasts();
    this.closed = true;
    clearTimeout(this.announceTimer);
    this.announceTimer = undefined;
    for (const member of [...this.attached]) {
      this.attached.delete(member);
      // A member still being handed its letters gets what waited for it, then the goodbye
      // (held, the goodbye would never be sent); the letters not handed over stay stored.
      if (this.held.has(member)) this.hold(member, false);
      member.close({ type: 'bye', text });
    }
    this.joined.clear();
    this.lookalikes.clear();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  sendTo(member: Member, event: ChatEvent): void {
    this.flushBroadcasts(); // after everything broadcast before it
    this.deliverTo(member, event, new RenderedEvent(event));
  }

  /**
   * Delivers to every attached member except `except`, rendering each wire form once. In a
   * big room it is queued and handed over with the other broadcasts of this tick (see
   * BATCH_ROOM_SIZE); every other delivery flushes the queue first, so order is kept.
   */
  broadcast(event: ChatEvent, except?: Member): void {
    const rendered = new RenderedEvent(event);
    if (this.attached.size < BATCH_ROOM_SIZE && this.pendingBroadcasts.length === 0 && !this.flushing) {
      for (const member of this.attached) {
        if (member !== except) this.deliverTo(member, event, rendered);
      }
      return;
    }
    this.pendingBroadcasts.push({ event, rendered, except });
    if (!this.flushQueued) {
      this.flushQueued = true;
      // After every read of this turn of the event loop, not after each: UDP reads one
      // datagram per callback, and TCP members read in the same turn share the batch too.
      setImmediate(() => this.flushBroadcasts());
    }
  }

  /**
   * Hands the queued broadcasts over. A member that takes batches and was left out of none
   * gets them as one shared buffer; the senders (left out of their own lines), held members
   * and members without batches get them one by one.
   */
  private flushBroadcasts(): void {
    // Re-entered from a delivery (a slow reader dropped mid-flush leaves the room): whatever
    // that broadcasts queues behind this batch instead of overtaking it for later members.
    if (this.flushing) return;
    this.flushQueued = false;
    const batch = this.pendingBroadcasts;
    if (batch.length === 0) return;
    this.pendingBroadcasts = [];
    const excepted = new Set<Member>();
    for (const entry of batch) if (entry.except !== undefined) excepted.add(entry.except);
    const combined = batch.length > 1 ? new RenderedBatch(batch.map((entry) => entry.rendered)) : undefined;
    this.flushing = true;
    try {
      for (const member of this.attached) {
        if (
          combined !== undefined &&
          member.deliverBatch !== undefined &&
          !excepted.has(member) &&
          !this.held.has(member)
        ) {
          member.deliverBatch(combined);
          continue;
        }
        for (const entry of batch)
          if (entry.except !== member) this.deliverTo(member, entry.event, entry.rendered);
      }
    } finally {
      this.flushing = false;
    }
  }

  private deliverTo(member: Member, event: ChatEvent, rendered: RenderedEvent): void {
    const held = this.held.size === 0 ? undefined : this.held.get(member);
    if (held) held.push([event, rendered]);
    else member.deliver(event, rendered);
  }

  private hold(member: Member, on: boolean): void {
    this.flushBroadcasts();
    if (on) {
      if (!this.held.has(member) && this.attached.has(member)) this.held.set(member, []);
      return;
    }
    const held = this.held.get(member) ?? [];
    this.held.delete(member);
    for (const [event, rendered] of held) member.deliver(event, rendered);
  }

  /**
   * Resolves once the room has decided the member's pending login or registration (the
   * login event or the refusal is out), or undefined when none is pending. A session holds
   * the member's next lines until then, so they are said under the name the login gives.
   */
  decisionFor(member: Member): Promise<void> | undefined {
    return this.deciding.get(member)?.promise;
  }

  private beginDecision(member: Member): Decision {
    const pending = this.deciding.get(member);
    if (pending !== undefined) return pending;
    let settle!: () => void;
    const promise = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const decision = { promise, settle };
    this.deciding.set(member, decision);
    return decision;
  }

  /**
   * Ends the member's pending decision, or only `which` if given: a login's last word comes
   * after its decision, when the member's next login may have begun a new one.
   */
  private endDecision(member: Member, which?: Decision): void {
    const pending = this.deciding.get(member);
    if (pending === undefined || (which !== undefined && pending !== which)) return;
    pending.settle();
    this.deciding.delete(member);
  }

  /**
   * Logs a member in to a claimed nick (or claims it, with `claimIfFree`), then hands over
   * every letter waiting for it before any live traffic. A member not in the room yet (a
   * rocket's hello with a secret) joins as a guest if the login fails.
   */
  async login(member: Member, nick: string, secret: string, claimIfFree: boolean): Promise<boolean> {
    const decision = this.beginDecision(member);
    try {
      return await this.tryLogin(member, nick, secret, claimIfFree);
    } finally {
      this.endDecision(member, decision);
    }
  }

  private async tryLogin(
    member: Member,
    nick: string,
    secret: string,
    claimIfFree: boolean,
  ): Promise<boolean> {
    const mailroom = this.mailroom;
    if (!mailroom) {
      this.loginFailed(member, 'this room keeps no accounts or letters');
      return false;
    }
    try {
      const shutOut = this.loginThrottle.refusal(member.address);
      if (shutOut !== undefined) throw new MailRefusal('store-failed', shutOut);
      if (!mailroom.isClaimed(nick)) {
        if (!claimIfFree) {
          this.loginThrottle.failed(member.address);
          throw new MailRefusal('unknown-recipient', `wrong nickname or secret for ${sanitizeText(nick)}`);
        }
        if (nick !== member.nick) {
          const problem = this.nickRefusal(nick, member);
          if (problem) throw new MailRefusal('store-failed', problem);
          this.isJoined(member) ? this.rename(member, nick) : this.join(member, nick);
        }
        return await this.tryRegister(member, secret);
      }
      const claimedNick = await this.loginThrottle.check(member.address, async () => {
        // Shut out while it waited for its turn: refused without a check, and not counted.
        const late = this.loginThrottle.refusal(member.address);
        if (late !== undefined) throw new MailRefusal('store-failed', late);
        try {
          return await mailroom.authenticate(nick, secret);
        } catch (err) {
          if (err instanceof MailRefusal) this.loginThrottle.failed(member.address);
          throw err;
        }
      });
      this.loginThrottle.succeeded(member.address);
      if (!this.attached.has(member)) return false;
      const key = nickKey(claimedNick);
      const other = this.joined.get(key);
      if (other !== undefined && other !== member) {
        this.leave(other, 'logged in from elsewhere');
        other.close({ type: 'bye', text: `${claimedNick} logged in from elsewhere` });
      }
      member.account = key;
      if (!this.isJoined(member)) this.join(member, claimedNick);
      else this.rename(member, claimedNick);
      await this.handOverLetters(member);
      return true;
    } catch (err) {
      if (!(err instanceof MailRefusal))
        this.onStoreError?.(`a login as ${sanitizeText(nick)} failed: ${(err as Error).message}`);
      this.loginFailed(member, err);
      return false;
    }
  }

  private loginFailed(member: Member, err: unknown): void {
    this.sendTo(member, {
      type: 'error',
      code: 'login',
      text: forPeers(err instanceof Error ? err.message : String(err)),
    });
    if (this.attached.has(member) && !this.isJoined(member)) this.join(member);
    this.endDecision(member);
  }

  /** Claims the member's current nick; `/register SECRET`. */
  private async register(member: Member, secret: string): Promise<boolean> {
    const decision = this.beginDecision(member);
    try {
      return await this.tryRegister(member, secret);
    } finally {
      this.endDecision(member, decision);
    }
  }

  private async tryRegister(member: Member, secret: string): Promise<boolean> {
    if (!this.mailroom) {
      this.loginFailed(member, 'this room keeps no accounts or letters');
      return false;
    }
    try {
      if (!this.isJoined(member)) this.join(member);
      await this.mailroom.register(member, secret);
      await this.handOverLetters(member, true);
      return true;
    } catch (err) {
      this.loginFailed(member, err);
      return false;
    }
  }

  private async handOverLetters(member: Member, registered = false): Promise<void> {
    const mailroom = this.mailroom!;
    const key = member.account!;
    const waiting = await mailroom.count(key);
    this.sendTo(member, { type: 'login', nick: member.nick, waiting, ...(registered ? { registered } : {}) });
    // Decided: the member's next lines may go on while the letters are handed over.
    this.endDecision(member);
    let count: number;
    try {
      count = await mailroom.deliverBacklog(member, (on) => this.hold(member, on));
    } catch (err) {
      // Logged in all the same; the letters stay where they are (a damaged page of the file).
      const reason = err instanceof Error ? err.message : String(err);
      this.onStoreError?.(`letters for ${member.nick} cannot be handed over: ${reason}`);
      this.sendTo(member, {
        type: 'error',
        code: 'store-failed',
        text: `your letters cannot be handed over: ${forPeers(reason)}`,
      });
      return;
    }
    this.sendTo(member, { type: 'inbox-end', count });
  }

  /**
   * Leaves a letter for a claimed nick (`rocket send`, or /msg to someone away) and tells
   * the sender once it is stored; someone logged in gets it at once.
   */
  async post(member: Member, letter: { id?: string; to: string; text: string }): Promise<boolean> {
    const id = letter.id ?? this.nextMessageId();
    if (!this.mailroom) {
      this.sendTo(member, { type: 'error', code: 'no-store', id, text: 'this room keeps no letters' });
      return false;
    }
    const event: MessageEvent = {
      type: 'message',
      id,
      ts: Date.now(),
      from: member.nick,
      to: letter.to,
      text: sanitizeText(letter.text),
    };
    try {
      const present = this.joined.get(nickKey(letter.to));
      if (present !== undefined && !this.mailroom.isClaimed(letter.to)) {
        throw new MailRefusal(
          'unknown-recipient',
          `${sanitizeText(present.nick)} is here but has not registered the nick, so no letter can wait for them: use /msg ${sanitizeText(present.nick)} TEXT in the room`,
        );
      }
      await this.mailroom.post({ ...event, to: letter.to }, member.account ?? 'anonymous');
    } catch (err) {
      const code = err instanceof MailRefusal ? err.code : 'store-failed';
      if (code === 'store-failed' && this.onStoreError)
        this.onStoreError(
          `a letter for ${sanitizeText(letter.to)} was not stored: ${(err as Error).message}`,
        );
      this.sendTo(member, {
        type: 'error',
        code,
        id,
        text: forPeers(err instanceof Error ? err.message : String(err)),
      });
      return false;
    }
    this.sendTo(member, { type: 'stored', id, to: letter.to }); // (flushes the broadcasts)
    const recipient = this.joined.get(nickKey(letter.to));
    if (recipient?.account === nickKey(letter.to) && !this.held.has(recipient))
      this.mailroom.handLive(recipient, event);
    return true;
  }

  private say(
    member: Member,
    body: { text: string; action?: boolean },
    id?: string,
  ): MessageEvent | undefined {
    if (body.text.trim() === '') return undefined;
    const event: MessageEvent = {
      type: 'message',
      id: id ?? this.nextMessageId(),
      ts: Date.now(),
      from: member.nick,
      text: sanitizeText(body.text),
      ...(body.action ? { action: true } : {}),
    };
    this.broadcast(event, member);
    return event;
  }

  private sayPrivately(member: Member, to: string, text: string, id?: string): MessageEvent | undefined {
    const target = this.joined.get(nickKey(to));
    if (target === undefined && this.mailroom?.isClaimed(to)) {
      void this.post(member, { id, to, text });
      return undefined;
    }
    if (target === undefined) {
      this.sendTo(member, {
        type: 'error',
        code: 'no-such-nick',
        text: `nobody called ${sanitizeText(to)} is in the room; /who lists who is`,
      });
      return undefined;
    }
    const event: MessageEvent = {
      type: 'message',
      id: id ?? this.nextMessageId(),
      ts: Date.now(),
      from: member.nick,
      to: target.nick,
      text: sanitizeText(text),
    };
    const rendered = new RenderedEvent(event);
    target.deliver(event, rendered);
    if (target !== member) member.deliver(event, rendered);
    return event;
  }

  private rename(member: Member, nick: string): void {
    const problem = this.nickRefusal(nick, member);
    if (problem) {
      this.sendTo(member, { type: 'error', code: 'nick', text: problem });
      return;
    }
    const old = member.nick;
    if (old === nick) return;
    this.removeJoined(member);
    member.nick = nick;
    this.addJoined(member);
    const event: ChatEvent = { type: 'nick', from: old, to: nick, ts: Date.now() };
    if (!this.isCrowded()) {
      this.broadcast(event);
      return;
    }
    // Like joins: a crowd that renames itself would otherwise be N x N lines.
    this.sendTo(member, event);
    this.summarize(this.renames, `${old} -> ${nick}`);
  }

  private changeEncoding(member: Member, encoding: string | undefined): void {
    if (encoding === undefined) {
      const text = member.describeEncoding?.() ?? 'your text travels as UTF-8';
      this.sendTo(member, { type: 'info', text });
      return;
    }
    if (member.setEncoding === undefined) {
      this.sendTo(member, {
        type: 'info',
        text: ROCKET_ENCODING_NOTE,
      });
      return;
    }
    try {
      const text = member.setEncoding(checkEncoding(encoding));
      this.sendTo(member, { type: 'info', text });
    } catch (err) {
      this.sendTo(member, {
        type: 'error',
        code: 'encoding',
        text: err instanceof Error ? err.message : String(err),
      });
    }
  }

  private nickRefusal(nick: string, self?: Member): string | undefined {
    const problem = nickProblem(nick);
    if (problem) return `cannot use "${sanitizeText(nick)}": ${problem}`;
    const holder = this.joined.get(nickKey(nick));
    if (holder !== undefined && holder !== self) return `the nickname ${nick} is taken; try another`;
    const twin = this.lookalikes.get(nickSkeleton(nick));
    if (twin !== undefined && twin !== self)
      return `"${sanitizeText(nick)}" looks too much like ${sanitizeText(twin.nick)}, who is here; choose another`;
    const lookalike = this.mailroom?.lookalikeOf(nick);
    if (lookalike !== undefined)
      return `"${sanitizeText(nick)}" looks too much like the registered nick ${lookalike}; choose another`;
    if (this.mailroom?.isClaimed(nick) && self?.account !== nickKey(nick)) {
      return `${nick} is registered; log in with /login ${nick} SECRET (or rocket's --password-file)`;
    }
    if (/^guest-\d+$/i.test(nick) && (self === undefined || nickKey(self.nick) !== nickKey(nick))) {
      return 'guest-N names are given out by the room; choose another';
    }
    return undefined;
  }

  private nextGuestNick(): string {
    for (;;) {
      this.guestCounter += 1;
      const nick = `guest-${this.guestCounter}`;
      if (!this.joined.has(nickKey(nick))) return nick;
    }
  }

  private nextMessageId(): string {
    this.messageCounter += 1;
    return `${this.idPrefix}-${this.messageCounter.toString(36)}`;
  }
}
