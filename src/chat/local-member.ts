import type { ByeEvent, ChatEvent, MessageEvent } from '../protocol/events.js';
import type { Member } from './member.js';

/**
 * The person at the room's own terminal (George, who started `rocket listen`): in the
 * room like anyone else, but events go to a callback instead of a socket.
 */
export class LocalMember implements Member {
  nick = '';
  readonly label = 'local';
  account?: string;

  constructor(
    private readonly onEvent: (event: ChatEvent) => void,
    private readonly onClose?: (goodbye: ByeEvent) => void,
  ) {}

  deliver(event: ChatEvent): void {
    this.onEvent(event);
  }

  /** Printed is delivered: the terminal is right here. */
  deliverLetter(event: MessageEvent, _rendered: unknown, delivered: () => void): void {
    this.onEvent(event);
    delivered();
  }

  whenWritable(): Promise<void> {
    return Promise.resolve();
  }

  close(goodbye: ByeEvent): void {
    this.onEvent(goodbye);
    this.onClose?.(goodbye);
  }
}
