import { RocketError } from '../errors.js';
import type { StoredEvent } from '../protocol/events.js';

interface Pending {
  resolve: (event: StoredEvent) => void;
  reject: (err: RocketError) => void;
}

/** Letters sent and not yet confirmed stored: each settles once, by id. */
export class LetterTracker {
  private readonly pending = new Map<string, Pending>();
  /** Set by failAll: the conversation is over, so a letter tracked later fails at once. */
  private endedBecause: string | undefined;

  track(id: string): Promise<StoredEvent> {
    const ended = this.endedBecause;
    if (ended !== undefined) return Promise.reject(notStored(ended));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  has(id: string): boolean {
    return this.pending.has(id);
  }

  get size(): number {
    return this.pending.size;
  }

  settle(id: string, event: StoredEvent): void {
    this.pending.get(id)?.resolve(event);
    this.pending.delete(id);
  }

  fail(id: string, reason: string): void {
    this.pending.get(id)?.reject(notStored(reason));
    this.pending.delete(id);
  }

  /** The conversation ended: every letter not confirmed fails, and so does any sent after. */
  failAll(reason: string): void {
    this.endedBecause ??= reason;
    for (const id of [...this.pending.keys()]) this.fail(id, reason);
  }
}

function notStored(reason: string): RocketError {
  // The room's own words may already begin "letter not stored: " (what a plain client reads).
  return new RocketError(
    'ROCKET_ERR_PROTOCOL',
    `Letter not stored: ${reason.replace(/^letter not stored: /i, '')}`,
  );
}
