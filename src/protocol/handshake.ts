import { VERSION } from '../version.js';
import type { ClientRequest } from './events.js';

/**
 * How two rockets find each other without disturbing anyone else.
 *
 * 1. A room speaks first: its greeting is a readable line that starts with GREETING_PREFIX,
 *    so nc and telnet users see a normal welcome.
 * 2. A rocket client that sees that prefix answers with the UPGRADE_REQUEST line. A client
 *    that sees anything else (or nothing) stays plain text and sends only what is typed.
 * 3. The room answers UPGRADE_ACCEPT on its own line; every byte after it is frames.
 *    Text lines the room sent before that (room traffic racing the upgrade) stay text.
 */
export const PROTOCOL_VERSION = 1;
export const GREETING_PREFIX = `*** rocket/${PROTOCOL_VERSION} `;
export const UPGRADE_REQUEST = `ROCKET/${PROTOCOL_VERSION} HELLO`;
export const UPGRADE_ACCEPT = `ROCKET/${PROTOCOL_VERSION} OK`;

/**
 * A TLS ClientHello (record type 0x16, version 3.x): a `rocket connect --tls` or a browser
 * that reached a plain port. Its binary bytes must never become chat lines.
 */
export function looksLikeTlsHello(bytes: Buffer): boolean {
  return bytes[0] === 0x16 && (bytes.length < 2 || bytes[1] === 0x03);
}

export function isRocketGreeting(line: string): boolean {
  return line.startsWith(GREETING_PREFIX);
}

/** Who a rocket says it is when it says hello. */
export interface HelloIdentity {
  nick?: string;
  /** The nick's secret: only ever sent together with the nick it belongs to. */
  password?: string;
  /** The room password of a protected room. */
  roomPassword?: string;
  /** false: the password only logs in; a free nick is not claimed (a typo stays a typo). */
  claim?: boolean;
}

/** The hello a rocket sends over TCP frames and UDP datagrams alike. */
export function helloRequest(identity: HelloIdentity): ClientRequest {
  const { nick, password, roomPassword, claim } = identity;
  return {
    type: 'hello',
    version: PROTOCOL_VERSION,
    client: `rocket/${VERSION}`,
    ...(nick ? { nick } : {}),
    ...(password !== undefined && nick ? { password, ...(claim === false ? { claim } : {}) } : {}),
    ...(roomPassword !== undefined ? { roomPassword } : {}),
  };
}
