import { connectChat } from '../client/chat-client.js';
import type { ChatConnection } from '../client/types.js';
import { connectUdpChat } from '../client/udp-chat-client.js';
import type { TlsClientOptions } from '../transport/tls.js';

export interface RocketTarget {
  host: string;
  port: number;
  nick?: string;
  password?: string;
  roomPassword?: string;
  udp?: boolean;
  tls?: TlsClientOptions;
  timeoutMs: number;
}

/**
 * A conversation that must be with a rocket room (letters: send, inbox): over UDP it says
 * hello at once instead of waiting to be greeted.
 */
export function openRocket(target: RocketTarget): Promise<ChatConnection> {
  const { host, port, nick, password, roomPassword } = target;
  return target.udp
    ? connectUdpChat({ host, port, nick, password, roomPassword, assumeRocket: true })
    : connectChat({
        host,
        port,
        nick,
        password,
        roomPassword,
        tls: target.tls,
        connectTimeoutMs: target.timeoutMs,
      });
}
