import type { EventEmitter } from 'node:events';
import type { ChatEvent, LoginEvent, StoredEvent } from '../protocol/events.js';

export type ClientMode = 'detect' | 'upgrading' | 'plain' | 'rocket' | 'closed';

export interface CloseInfo {
  /** Why the conversation ended, in words; undefined when we ended it. */
  reason?: string;
  /** Set when it failed rather than ended. */
  error?: boolean;
}

export interface ClientEvents {
  event: [ChatEvent];
  mode: [ClientMode];
  close: [CloseInfo];
}

/** Peppa's side of a conversation, over TCP or UDP; what the CLI drives. */
export interface ChatConnection extends EventEmitter<ClientEvents> {
  readonly mode: ClientMode;
  readonly nick: string | undefined;
  readonly peerLabel: string;
  readonly closed: Promise<CloseInfo>;
  /**
   * The room refused who we asked to be (the nick or login we started with): the refusal is
   * the last event, we leave without a word, and `closed` carries the reason.
   */
  readonly refusedAtStart: boolean;
  say(line: string): void;
  /** Leaves a letter in a rocket room; resolves once it is stored. */
  sendLetter(to: string, text: string): Promise<StoredEvent>;
  /** Resolves once logged in to the nick (with a password), with the number of letters waiting. */
  loggedIn(): Promise<LoginEvent>;
  /**
   * Leaves once everything said so far is through (acknowledged by a rocket room), waiting
   * `waitMs` for replies first; a rocket room hears `goodbye` as the reason.
   */
  finish(waitMs?: number, goodbye?: string): Promise<CloseInfo>;
  /** Leaves now, whatever is still on its way (Ctrl-C). */
  quit(text?: string): void;
  destroy(): void;
}
