/**
 * Where letters wait for people who are offline, and where claimed nicknames keep their
 * secrets. The room talks only to this interface, so a second backend (Redis, for rooms on
 * several machines) can be added without touching the room. Every method is async for
 * that reason, even where SQLite could answer at once.
 */
export interface Letter {
  /** Unique per sender; the id rockets use to drop duplicates. */
  id: string;
  from: string;
  /** The recipient's nick as claimed. */
  to: string;
  text: string;
  /** When the room accepted it, ms since the epoch. */
  ts: number;
}

export interface StoredLetter extends Letter {
  /** Store order: letters are delivered by ascending seq. */
  seq: number;
}

export interface AccountRecord {
  nick: string;
  /** "scrypt$N$r$p$salt$hash", never the secret itself. */
  secretHash: string;
  createdAt: number;
}

export type PutOutcome = 'stored' | 'duplicate';

export interface MailStore {
  /** True when letters survive a restart. */
  readonly durable: boolean;
  /** Where it keeps its data, for people. */
  readonly location: string;

  getAccount(nickKey: string): Promise<AccountRecord | undefined>;
  /** Keys of every claimed nick (the room keeps them at hand to refuse impostors). */
  listAccountKeys(): Promise<string[]>;
  /** Claims a nick; false if it was claimed already. */
  createAccount(nickKey: string, record: AccountRecord): Promise<boolean>;

  /**
   * Stores a letter durably; resolves only once it would survive a crash. A letter with an
   * id this sender used before is a retransmission: 'duplicate', stored once.
   */
  put(letter: Letter, senderKey: string, recipientKey: string): Promise<PutOutcome>;
  /** Waiting letters for a recipient, oldest first, after `afterSeq`. */
  pending(recipientKey: string, afterSeq: number, limit: number): Promise<StoredLetter[]>;
  /** Letters the recipient has acknowledged: they are gone from the store. */
  markDelivered(recipientKey: string, ids: string[]): Promise<void>;
  countFor(recipientKey: string): Promise<number>;
  /** Drops letters older than `before` (retention); returns how many. */
  purgeOlderThan(before: number): Promise<number>;
  close(): Promise<void>;
}

/** Why a letter was refused; the sender is told in these words. */
export class MailRefusal extends Error {
  constructor(
    readonly code: 'quota' | 'too-long' | 'unknown-recipient' | 'store-failed',
    message: string,
  ) {
    super(message);
    this.name = 'MailRefusal';
  }
}
