import { connectChat } from '../client/chat-client.js';
import type { ChatConnection } from '../client/types.js';
import { connectUdpChat } from '../client/udp-chat-client.js';
import type { TlsClientOptions } from '../transport/tls.js';
import { readPassword } from './password.js';
import { checkTlsFlags, clientTlsFromFlags, type TlsFlags } from './tls-options.js';

export interface RocketTarget {
  host: string;
  port: number;
  nick?: string;
  password?: string;
  /** false: log in only, never claim a free nick. */
  claim?: boolean;
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
  const { host, port, nick, password, claim, roomPassword } = target;
  return target.udp
    ? connectUdpChat({ host, port, nick, password, claim, roomPassword, assumeRocket: true })
    : connectChat({
        host,
        port,
        nick,
        password,
        claim,
        roomPassword,
        tls: target.tls,
        connectTimeoutMs: target.timeoutMs,
      });
}

/** The connection flags `rocket send` and `rocket inbox` share. */
export interface RocketConnectionFlags extends TlsFlags {
  udp?: boolean;
  roomPasswordFile?: string;
  timeout: number;
}

/** openRocket as the flags say: --udp, the TLS flags, --room-password-file, --timeout. */
export function openRocketWithFlags(
  flags: RocketConnectionFlags,
  who: { host: string; port: number; nick?: string; password?: string; claim?: boolean },
): Promise<ChatConnection> {
  checkTlsFlags(flags, 'connect');
  return openRocket({
    ...who,
    roomPassword: readPassword(flags.roomPasswordFile, process.env, 'ROCKET_ROOM_PASSWORD'),
    udp: flags.udp,
    tls: clientTlsFromFlags(flags),
    timeoutMs: flags.timeout * 1000,
  });
}
