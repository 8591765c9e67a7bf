import type { AccountRecord, Letter, MailStore, PutOutcome, StoredLetter } from './mail-store.js';

/** Keeps everything in memory (`--no-store`): letters are lost when the room stops. */
export class MemoryStore implements MailStore {
  readonly durable = false;
  readonly location = 'memory (letters are lost on restart)';
  private readonly accounts = new Map<string, AccountRecord>();
  private readonly letters = new Map<string, StoredLetter[]>();
  private readonly seen = new Set<string>();
  private seq = 0;

  async getAccount(nickKey: string): Promise<AccountRecord | undefined> {
    return this.accounts.get(nickKey);
  }

  async listAccountKeys(): Promise<string[]> {
    return [...this.accounts.keys()];
  }

  async createAccount(nickKey: string, record: AccountRecord): Promise<boolean> {
    if (this.accounts.has(nickKey)) return false;
    this.accounts.set(nickKey, record);
    return true;
  }

  async put(letter: Letter, senderKey: string, recipientKey: string): Promise<PutOutcome> {
    const key = `${senderKey}\u0000${letter.id}`;
    if (this.seen.has(key)) return 'duplicate';
    this.seen.add(key);
    this.seq += 1;
    const list = this.letters.get(recipientKey) ?? [];
    list.push({ ...letter, seq: this.seq });
    this.letters.set(recipientKey, list);
    return 'stored';
  }

  async pending(recipientKey: string, afterSeq: number, limit: number): Promise<StoredLetter[]> {
    const list = this.letters.get(recipientKey) ?? [];
    return list.filter((l) => l.seq > afterSeq).slice(0, limit);
  }

  async markDelivered(recipientKey: string, ids: string[]): Promise<void> {
    const gone = new Set(ids);
    const list = this.letters.get(recipientKey);
    if (list)
      this.letters.set(
        recipientKey,
        list.filter((l) => !gone.has(l.id)),
      );
  }

  async countFor(recipientKey: string): Promise<number> {
    return this.letters.get(recipientKey)?.length ?? 0;
  }

  async purgeOlderThan(before: number): Promise<number> {
    let purged = 0;
    for (const [key, list] of this.letters) {
      const kept = list.filter((l) => l.ts >= before);
      purged += list.length - kept.length;
      this.letters.set(key, kept);
    }
    return purged;
  }

  async close(): Promise<void> {}
}
