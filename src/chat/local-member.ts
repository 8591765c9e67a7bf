import type { ByeEvent, ChatEvent } from '../protocol/events.js';
import type { Member } from './member.js';

/**
 * The person at the room's own terminal (George, who started `rocket listen`): in the
 * room like anyone else, but events go to a callback instead of a socket.
 */
export class LocalMember implements Member {
  nick = '';
  readonly label = 'local';

  constructor(
    private readonly onEvent: (event: ChatEvent) => void,
    private readonly onClose?: (goodbye: ByeEvent) => void,
  ) {}

  deliver(event: ChatEvent): void {
    this.onEvent(event);
  }

  close(goodbye: ByeEvent): void {
    this.onEvent(goodbye);
    this.onClose?.(goodbye);
  }
}
