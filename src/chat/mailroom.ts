import type { LoginEvent, MessageEvent } from '../protocol/events.js';
import { sanitizeText } from '../protocol/sanitize.js';
import { MailRefusal, type MailStore } from '../store/mail-store.js';
import { hashSecret, secretProblem, verifySecret } from '../store/secrets.js';
import type { Member } from './member.js';
import { nickKey, nickSkeleton } from './nicknames.js';
import { RenderedEvent } from './rendered-event.js';

export interface MailLimits {
  /** Letters that may wait for one person. */
  quotaPerRecipient: number;
  /** Longest letter, in bytes of UTF-8. */
  maxLetterBytes: number;
  /** Letters older than this are dropped, in ms. */
  retentionMs: number;
}

export const DEFAULT_MAIL_LIMITS: MailLimits = {
  quotaPerRecipient: 100_000,
  maxLetterBytes: 64 * 1024,
  retentionMs: 30 * 24 * 3600_000,
};

/** Letters handed over per page while a backlog drains; pages wait for the socket to drain. */
const PAGE = 1000;

/**
 * The u-store: accounts (claimed nicknames and their hashed secrets) and letters that
 * wait for people who are offline. It knows members, never sockets, and keeps the room's
 * rules: only claimed nicks receive letters, a letter counts as delivered only once the
 * person's client has it, and everything waiting is handed over at login, in order,
 * before live traffic.
 */
export class Mailroom {
  private readonly claimed = new Set<string>();
  /** Skeleton -> claimed key, to refuse look-alikes of claimed nicks. */
  private readonly skeletons = new Map<string, string>();
  private readonly counts = new Map<string, number>();
  private readonly deliveredQueue = new Map<string, string[]>();
  private flushScheduled = false;
  private purgeTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly store: MailStore,
    readonly limits: MailLimits,
  ) {}

  static async open(store: MailStore, limits: Partial<MailLimits> = {}): Promise<Mailroom> {
    const mailroom = new Mailroom(store, { ...DEFAULT_MAIL_LIMITS, ...limits });
    for (const key of await store.listAccountKeys()) mailroom.remember(key);
    await mailroom.purge();
    mailroom.purgeTimer = setInterval(() => void mailroom.purge(), 3600_000);
    mailroom.purgeTimer.unref();
    return mailroom;
  }

  private remember(key: string): void {
    this.claimed.add(key);
    this.skeletons.set(nickSkeleton(key), key);
  }

  /**
   * The claimed nick (its key) that `nick` looks like but is not, if any. A claimed nick is
   * never a look-alike: two accounts made before the look-alike rules grew both stay usable.
   */
  lookalikeOf(nick: string): string | undefined {
    if (this.claimed.has(nickKey(nick))) return undefined;
    const key = this.skeletons.get(nickSkeleton(nick));
    return key !== undefined && key !== nickKey(nick) ? key : undefined;
  }

  /** True if the nick belongs to an account: nobody else may use it. */
  isClaimed(nick: string): boolean {
    return this.claimed.has(nickKey(nick));
  }

  /** Claims the member's current nick with a secret. */
  async register(member: Member, secret: string): Promise<LoginEvent> {
    const problem = secretProblem(secret);
    if (problem) throw new MailRefusal('store-failed', problem);
    const key = nickKey(member.nick);
    if (/^guest-\d+$/i.test(member.nick)) {
      throw new MailRefusal('store-failed', 'choose a nickname with /nick NAME before you register it');
    }
    const created = await this.store.createAccount(key, {
      nick: member.nick,
      secretHash: await hashSecret(secret),
      createdAt: Date.now(),
    });
    if (!created)
      throw new MailRefusal(
        'store-failed',
        `${member.nick} is registered already; use /login ${member.nick} SECRET`,
      );
    this.remember(key);
    member.account = key;
    return { type: 'login', nick: member.nick, waiting: await this.count(key) };
  }

  /**
   * Checks a secret for a claimed nick; returns the nick as claimed. A wrong secret and an
   * unknown nick give the same answer, so nobody learns which nicks exist by guessing.
   */
  async authenticate(nick: string, secret: string): Promise<string> {
    const account = await this.store.getAccount(nickKey(nick));
    if (!account || !(await verifySecret(secret, account.secretHash))) {
      throw new MailRefusal('unknown-recipient', `wrong nickname or secret for ${sanitizeText(nick)}`);
    }
    return account.nick;
  }

  /** Stores a letter for a claimed nick; resolves once it is durable. */
  async post(
    letter: { id: string; from: string; to: string; text: string; ts: number },
    senderKey: string,
  ): Promise<void> {
    const key = nickKey(letter.to);
    if (!this.claimed.has(key)) {
      throw new MailRefusal(
        'unknown-recipient',
        `nobody called ${sanitizeText(letter.to)} is here or registered, so a letter cannot wait for them`,
      );
    }
    const bytes = Buffer.byteLength(letter.text);
    if (bytes > this.limits.maxLetterBytes) {
      throw new MailRefusal(
        'too-long',
        `letter not stored: ${bytes} bytes is over the limit of ${this.limits.maxLetterBytes}`,
      );
    }
    const waiting = await this.count(key);
    if (waiting >= this.limits.quotaPerRecipient) {
      throw new MailRefusal(
        'quota',
        `letter not stored: ${sanitizeText(letter.to)} already has ${waiting} letters waiting (the limit is ${this.limits.quotaPerRecipient})`,
      );
    }
    let outcome: string;
    try {
      outcome = await this.store.put(letter, senderKey, key);
    } catch (err) {
      throw new MailRefusal(
        'store-failed',
        `letter not stored: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if (outcome === 'stored') this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /**
   * Hands every waiting letter to a member who just logged in, page by page with
   * backpressure; `hold` keeps live traffic back until the backlog is through.
   */
  async deliverBacklog(member: Member, hold: (on: boolean) => void): Promise<number> {
    const key = member.account;
    if (key === undefined) return 0;
    hold(true);
    let handed = 0;
    try {
      let afterSeq = 0;
      for (;;) {
        const page = await this.store.pending(key, afterSeq, PAGE);
        if (page.length === 0) break;
        for (const letter of page) {
          if (member.lettersAhead?.()) await member.whenWritable();
          if (member.account !== key) break; // the member left or logged out meanwhile
          this.hand(member, key, {
            type: 'message',
            id: letter.id,
            ts: letter.ts,
            from: letter.from,
            to: letter.to,
            text: letter.text,
            stored: true,
          });
        }
        handed += page.length;
        afterSeq = page[page.length - 1]!.seq;
        await member.whenWritable();
        if (member.account !== key) break; // the member left or logged out meanwhile
      }
    } finally {
      hold(false);
    }
    return handed;
  }

  /** A letter that arrives while its recipient is online goes straight to them. */
  handLive(member: Member, letter: MessageEvent): void {
    if (member.account !== undefined) this.hand(member, member.account, { ...letter, stored: true });
  }

  async count(key: string): Promise<number> {
    let n = this.counts.get(key);
    if (n === undefined) {
      n = await this.store.countFor(key);
      this.counts.set(key, n);
    }
    return n;
  }

  async close(): Promise<void> {
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    this.flushDelivered();
    await this.store.close();
  }

  private hand(member: Member, key: string, event: MessageEvent): void {
    member.deliverLetter(event, new RenderedEvent(event), () => this.delivered(key, event.id));
  }

  private delivered(key: string, id: string): void {
    const ids = this.deliveredQueue.get(key) ?? [];
    ids.push(id);
    this.deliveredQueue.set(key, ids);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushDelivered());
    }
  }

  private flushDelivered(): void {
    this.flushScheduled = false;
    for (const [key, ids] of this.deliveredQueue) {
      this.counts.set(key, Math.max(0, (this.counts.get(key) ?? ids.length) - ids.length));
      void this.store.markDelivered(key, ids).catch(() => {
        // Still in the store: they will be handed over again at the next login (at-least-once).
      });
    }
    this.deliveredQueue.clear();
  }

  private async purge(): Promise<void> {
    try {
      const purged = await this.store.purgeOlderThan(Date.now() - this.limits.retentionMs);
      if (purged > 0) this.counts.clear();
    } catch {
      // A failed purge leaves old letters in place; nothing is lost.
    }
  }
}
