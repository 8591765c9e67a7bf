import type { EventEmitter } from 'node:events';
import { RocketError } from '../errors.js';
import type { ChatEvent, LoginEvent } from '../protocol/events.js';
import type { ClientEvents, CloseInfo } from './types.js';

/** Resolves with the room's login event, or rejects with its reason (or the connection's end). */
export function waitForLogin(
  client: EventEmitter<ClientEvents>,
  closed: Promise<CloseInfo>,
  nick: string | undefined,
): Promise<LoginEvent> {
  return new Promise((resolve, reject) => {
    const onEvent = (event: ChatEvent): void => {
      if (event.type === 'login') {
        client.off('event', onEvent);
        resolve(event);
      } else if (event.type === 'error' && event.code === 'login') {
        client.off('event', onEvent);
        reject(new RocketError('ROCKET_ERR_PROTOCOL', `Cannot log in as ${nick ?? '?'}: ${event.text}`));
      }
    };
    client.on('event', onEvent);
    void closed.then((info) => {
      client.off('event', onEvent);
      reject(
        new RocketError(
          'ROCKET_ERR_CONNECTION_LOST',
          `Cannot log in: ${info.reason ?? 'the connection closed'}`,
        ),
      );
    });
  });
}

/**
 * Why the room refused the nick a client asked for in its hello, without the room's note
 * of the guest name it gave instead ("...; you are guest-7"): the client does not stay as
 * that guest.
 */
export function nickRefusalReason(nick: string, text: string): string {
  return `Cannot join as ${nick}: ${text.replace(/; you are [^;]*$/, '')}`;
}
