import type { Member } from './member.js';
import type { Room } from './room.js';

/**
 * The letter requests a rocket makes, the same over TCP frames and UDP datagrams:
 * `mail` (leave a letter) and `received` (letters that reached the person).
 */
export function postLetter(room: Room, member: Member, request: Record<string, unknown>): void {
  const { id, to, text } = request;
  if (typeof id !== 'string' || typeof to !== 'string' || typeof text !== 'string') return;
  // A retransmitted letter is stored once (the store knows its id) and confirmed again.
  void room.post(member, { id: id.slice(0, 64), to, text });
}

/** Letters handed to a rocket, each waiting for the rocket to say it has it. */
export class LetterReceipts {
  private readonly waiting = new Map<string, () => void>();

  /** Called when a confirmation came in (see DatagramSession.whenWritable). */
  onConfirm: (() => void) | undefined;

  expect(id: string, delivered: () => void): void {
    this.waiting.set(id, delivered);
  }

  /** Letters handed over and not confirmed yet. */
  get size(): number {
    return this.waiting.size;
  }

  confirm(request: Record<string, unknown>): void {
    if (!Array.isArray(request.ids)) return;
    for (const id of request.ids) {
      if (typeof id !== 'string') continue; // ids are strings; anything else names no letter
      const delivered = this.waiting.get(id);
      this.waiting.delete(id);
      delivered?.();
    }
    this.onConfirm?.();
  }
}
