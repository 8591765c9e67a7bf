import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { RocketError } from '../errors.js';
import { makeDirSync } from '../make-dir.js';
import type { AccountRecord, Letter, MailStore, PutOutcome, StoredLetter } from './mail-store.js';
import { migrate } from './sqlite-schema.js';

interface QueuedPut {
  letter: Letter;
  senderKey: string;
  recipientKey: string;
  resolve: (outcome: PutOutcome) => void;
  reject: (err: unknown) => void;
}

/**
 * Letters and accounts in one SQLite file (better-sqlite3), in WAL mode with
 * synchronous=FULL: a letter is confirmed only after its transaction is on disk, so it
 * survives kill -9 and power loss. Puts made in the same event-loop turn share one
 * transaction (group commit), which is what makes thousands of durable letters a second
 * affordable.
 */
export class SqliteStore implements MailStore {
  readonly durable = true;
  private readonly queue: QueuedPut[] = [];
  private flushScheduled = false;
  private readonly statements;

  /** The file as it was opened: a store whose file is deleted under it must stop confirming letters. */
  private readonly identity: { dev: number; ino: number };

  private constructor(
    private readonly db: Database.Database,
    readonly location: string,
  ) {
    const { dev, ino } = statSync(location);
    this.identity = { dev, ino };
    this.statements = {
      getAccount: db.prepare<[string], { nick: string; secret_hash: string; created_at: number }>(
        'SELECT nick, secret_hash, created_at FROM accounts WHERE nick_key = ?',
      ),
      accountKeys: db.prepare<[], { nick_key: string }>('SELECT nick_key FROM accounts'),
      createAccount: db.prepare(
        'INSERT OR IGNORE INTO accounts (nick_key, nick, secret_hash, created_at) VALUES (?, ?, ?, ?)',
      ),
      insert: db.prepare(
        'INSERT OR IGNORE INTO letters (id, sender_key, sender, recipient_key, recipient, text, ts) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      pending: db.prepare<
        [string, number, number],
        { seq: number; id: string; sender: string; recipient: string; text: string; ts: number }
      >(
        'SELECT seq, id, sender, recipient, text, ts FROM letters WHERE recipient_key = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      deliver: db.prepare('DELETE FROM letters WHERE recipient_key = ? AND id = ?'),
      count: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM letters WHERE recipient_key = ?'),
      purge: db.prepare('DELETE FROM letters WHERE ts < ?'),
    };
  }

  /** Opens (creating if needed) DIR/FILE (default rocket.db); a locked, damaged or unwritable file is a clear error. */
  static open(dataDir: string, fileName = 'rocket.db'): SqliteStore {
    const file = join(dataDir, fileName);
    try {
      makeDirSync(dataDir, 0o700);
    } catch (cause) {
      throw new RocketError(
        'ROCKET_ERR_IO',
        `Cannot open the letter store in ${dataDir}: ${(cause as Error).message}`,
        { cause },
      );
    }
    let db: Database.Database | undefined;
    try {
      db = new Database(file, { timeout: 500 });
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      // One room per store: a second rocket on the same folder fails at start, loudly.
      db.pragma('locking_mode = EXCLUSIVE');
      migrate(db);
      return new SqliteStore(db, file);
    } catch (cause) {
      db?.close();
      throw describeSqliteError(cause, file);
    }
  }

  async getAccount(nickKey: string): Promise<AccountRecord | undefined> {
    const row = this.use(() => this.statements.getAccount.get(nickKey));
    return row && { nick: row.nick, secretHash: row.secret_hash, createdAt: row.created_at };
  }

  async listAccountKeys(): Promise<string[]> {
    return this.use(() => this.statements.accountKeys.all().map((row) => row.nick_key));
  }

  async createAccount(nickKey: string, record: AccountRecord): Promise<boolean> {
    return this.use(() => {
      this.checkFileIsOurs();
      const { changes } = this.statements.createAccount.run(
        nickKey,
        record.nick,
        record.secretHash,
        record.createdAt,
      );
      return changes === 1;
    });
  }

  /** Runs a statement; SQLite's errors ("database disk image is malformed") become a RocketError that says what to do. */
  private use<T>(run: () => T): T {
    try {
      return run();
    } catch (cause) {
      throw cause instanceof RocketError ? cause : describeSqliteError(cause, this.location);
    }
  }

  /**
   * SQLite goes on writing to a file deleted under it (rm room-tcp-8888.db), and every such
   * write is lost when the room stops: a letter must not be confirmed into it. One stat per
   * group commit.
   */
  private checkFileIsOurs(): void {
    let now: { dev: number; ino: number } | undefined;
    try {
      now = statSync(this.location);
    } catch {
      now = undefined;
    }
    if (now?.ino === this.identity.ino && now.dev === this.identity.dev) return;
    throw new RocketError(
      'ROCKET_ERR_IO',
      `Cannot use the letter store ${this.location}: the file was deleted or replaced while the room ran, so nothing stored now would last; restart the room`,
    );
  }

  put(letter: Letter, senderKey: string, recipientKey: string): Promise<PutOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ letter, senderKey, recipientKey, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue.splice(0);
    if (batch.length === 0) return;
    const outcomes: PutOutcome[] = [];
    try {
      this.use(() => {
        this.checkFileIsOurs();
        this.db.transaction(() => {
          for (const { letter, senderKey, recipientKey } of batch) {
            const { changes } = this.statements.insert.run(
              letter.id,
              senderKey,
              letter.from,
              recipientKey,
              letter.to,
              letter.text,
              letter.ts,
            );
            outcomes.push(changes === 1 ? 'stored' : 'duplicate');
          }
        })();
      });
    } catch (error) {
      for (const item of batch) item.reject(error as RocketError);
      return;
    }
    for (const [i, item] of batch.entries()) item.resolve(outcomes[i]!);
  }

  async pending(recipientKey: string, afterSeq: number, limit: number): Promise<StoredLetter[]> {
    const rows = this.use(() => this.statements.pending.all(recipientKey, afterSeq, limit));
    return rows.map((row) => ({
      seq: row.seq,
      id: row.id,
      from: row.sender,
      to: row.recipient,
      text: row.text,
      ts: row.ts,
    }));
  }

  async markDelivered(recipientKey: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    this.use(() =>
      this.db.transaction(() => {
        for (const id of ids) this.statements.deliver.run(recipientKey, id);
      })(),
    );
  }

  async countFor(recipientKey: string): Promise<number> {
    return this.use(() => this.statements.count.get(recipientKey)?.n ?? 0);
  }

  async purgeOlderThan(before: number): Promise<number> {
    return this.use(() => this.statements.purge.run(before).changes);
  }

  async close(): Promise<void> {
    this.flush();
    if (this.db.open) this.db.close();
  }
}

/** SQLite's failure codes, in words that say what to do. */
export function describeSqliteError(cause: unknown, file: string): RocketError {
  const code = (cause as { code?: string }).code ?? '';
  const reason =
    code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED'
      ? 'it is locked, probably by another rocket listen using the same --data-dir; stop that one or choose another folder'
      : code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB'
        ? 'the file is damaged or not a rocket store; move it aside (letters in it are not lost, just not served) and start again'
        : code === 'SQLITE_FULL'
          ? 'the disk is full; free some space'
          : code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'SQLITE_PERM'
            ? 'it cannot be opened for writing; check the folder permissions or choose another --data-dir'
            : (cause as Error).message;
  return new RocketError('ROCKET_ERR_IO', `Cannot use the letter store ${file}: ${reason}`, { cause });
}
