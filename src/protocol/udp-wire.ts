/**
 * Datagrams between rockets start with a 4-byte magic so a room can tell them from a
 * plain client's text in the same port; the rest is UTF-8 JSON. A datagram without the
 * magic is text from a plain peer (nc -u, the tutorial's UDP client).
 */
export const UDP_MAGIC = Buffer.from('RKT1', 'latin1');

/** Payload bytes that fit one datagram on any ordinary path (IPv6 minimum MTU 1280, less headers). */
export const SAFE_DATAGRAM_BYTES = 1200;

export function encodeDatagram(value: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  return Buffer.concat([UDP_MAGIC, body], UDP_MAGIC.length + body.length);
}

export function isRocketDatagram(datagram: Buffer): boolean {
  // Byte by byte: asked of every datagram a room hears, and a subarray is an allocation.
  return (
    datagram.length >= 4 &&
    datagram[0] === 0x52 && // R
    datagram[1] === 0x4b && // K
    datagram[2] === 0x54 && // T
    datagram[3] === 0x31 // 1
  );
}

/** Returns the parsed object, or undefined for garbage after the magic. */
export function decodeDatagram(datagram: Buffer): Record<string, unknown> | undefined {
  if (!isRocketDatagram(datagram)) return undefined;
  try {
    const value: unknown = JSON.parse(datagram.subarray(UDP_MAGIC.length).toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** UDP ping: a rocket UDP listener answers `{type:'ping',seq,ts}` with `{type:'pong',seq,ts}` at once. */
export interface UdpPing {
  type: 'ping';
  seq: number;
  ts: number;
}
export interface UdpPong {
  type: 'pong';
  seq: number;
  ts: number;
}

/**
 * The longest message text in one datagram: 1,400 bytes keeps a message with its nick or
 * JSON around it inside one 1,500-byte Ethernet frame, so it is never fragmented there.
 */
export const MAX_UDP_TEXT_BYTES = 1400;
