import { RocketError } from '../errors.js';
import type { StoredEvent } from '../protocol/events.js';

interface Pending {
  resolve: (event: StoredEvent) => void;
  reject: (err: RocketError) => void;
}

/** Letters sent and not yet confirmed stored: each settles once, by id. */
export class LetterTracker {
  private readonly pending = new Map<string, Pending>();

  track(id: string): Promise<StoredEvent> {
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
    this.pending.get(id)?.reject(new RocketError('ROCKET_ERR_PROTOCOL', `Letter not stored: ${reason}`));
    this.pending.delete(id);
  }

  failAll(reason: string): void {
    for (const id of [...this.pending.keys()]) this.fail(id, reason);
  }
}
