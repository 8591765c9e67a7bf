import { checkEncoding } from '../protocol/codec.js';
import { COMMAND_HELP, parseCommand } from '../protocol/commands.js';
import type { ChatEvent, MessageEvent } from '../protocol/events.js';
import { sanitizeText } from '../protocol/sanitize.js';
import type { Member } from './member.js';
import { nickKey, nickProblem } from './nicknames.js';
import { RenderedEvent } from './rendered-event.js';

export interface RoomOptions {
  /** Shown in greetings: usually the host name. */
  name: string;
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

  constructor(options: RoomOptions) {
    this.name = options.name;
  }

  /** Starts delivering to a member under a guest name; it is announced by join(). */
  attach(member: Member): void {
    if (this.closed) throw new Error('room is closed');
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
      const problem = this.nickRefusal(wantedNick);
      if (problem)
        this.sendTo(member, { type: 'error', code: 'nick', text: `${problem}; you are ${member.nick}` });
      else member.nick = wantedNick;
    }
    this.joined.set(nickKey(member.nick), member);
    this.broadcast({ type: 'join', nick: member.nick, ts: Date.now() }, member);
  }

  isJoined(member: Member): boolean {
    return this.joined.get(nickKey(member.nick)) === member;
  }

  /** Removes a member; others hear that it left if it had been announced. */
  leave(member: Member, reason?: string): void {
    if (!this.attached.delete(member)) return;
    if (this.isJoined(member)) {
      this.joined.delete(nickKey(member.nick));
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
    if (!this.isJoined(member)) this.join(member);
    const command = parseCommand(line);
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
      case 'invalid':
        this.sendTo(member, { type: 'error', code: 'command', text: command.text });
        return undefined;
    }
  }

  /** Says goodbye to everyone and refuses new members. */
  close(text = 'The room is closing. Goodbye'): void {
    this.closed = true;
    for (const member of [...this.attached]) {
      this.attached.delete(member);
      member.close({ type: 'bye', text });
    }
    this.joined.clear();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  sendTo(member: Member, event: ChatEvent): void {
    member.deliver(event, new RenderedEvent(event));
  }

  /** Delivers to every attached member except `except`, rendering each wire form once. */
  broadcast(event: ChatEvent, except?: Member): void {
    const rendered = new RenderedEvent(event);
    for (const member of this.attached) {
      if (member !== except) member.deliver(event, rendered);
    }
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
    this.joined.delete(nickKey(old));
    member.nick = nick;
    this.joined.set(nickKey(nick), member);
    this.broadcast({ type: 'nick', from: old, to: nick, ts: Date.now() });
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
        text: 'rocket clients always talk UTF-8 to the room; use --encoding on your side for your terminal',
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
