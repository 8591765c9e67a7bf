import type { ByeEvent, ChatEvent, MessageEvent } from '../protocol/events.js';
import type { RenderedBatch, RenderedEvent } from './rendered-event.js';

/** Anyone in a room: a TCP or UDP connection, or the person at the server's own terminal. */
export interface Member {
  /** Set by the room: a guest name at first, then what /nick or a login chose. */
  nick: string;
  /** Where the member is, for logs: an address, or "local". */
  readonly label: string;
  /** The peer's IP address, for per-address limits (failed logins); absent for the local member. */
  readonly address?: string;
  /** Hands an event to the member; `rendered` carries the shared wire forms. */
  deliver(event: ChatEvent, rendered: RenderedEvent): void;
  /**
   * Hands over several broadcast events at once, in order (big rooms; see Room's
   * BATCH_ROOM_SIZE). Optional: members without it get each event through deliver().
   */
  deliverBatch?(batch: RenderedBatch): void;
  /** The room is done with this member: say goodbye and close. */
  close(goodbye: ByeEvent): void;
  /**
   * Changes how text is decoded and encoded for this member (`/encoding`); returns the
   * sentence to tell the member. Absent where the encoding is fixed.
   */
  setEncoding?(encoding: string): string;
  /** The member's encodings, for `/encoding` without a name. */
  describeEncoding?(): string;
  /** The claimed nick (its key) this member has logged in to, if any. */
  account?: string;
  /**
   * Hands over a stored letter and calls `delivered` once it has reached the person: a
   * rocket's acknowledgement, or for a plain client a completed write on a live connection.
   */
  deliverLetter(event: MessageEvent, rendered: RenderedEvent, delivered: () => void): void;
  /** Resolves when the member can take more (backpressure while a backlog is handed over). */
  whenWritable(): Promise<void>;
  /**
   * Asked after each letter of a backlog: true when the member should be waited for
   * (whenWritable) before the next, where a page at a time would be too much at once.
   */
  lettersAhead?(): boolean;
}
