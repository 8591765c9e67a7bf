import type { RemoteInfo, Socket } from 'node:dgram';
import { DatagramSession } from '../chat/datagram-session.js';
import type { RateLimits } from '../chat/rate-limit.js';
import type { Room } from '../chat/room.js';
import type { EncodingPair } from '../protocol/codec.js';
import { pongTo } from '../protocol/ping.js';
import { decodeDatagram, encodeDatagram, isRocketDatagram } from '../protocol/udp-wire.js';
import { isWildcardAddress } from '../transport/socket-errors.js';
import type { Link } from '../transport/types.js';
import { bindUdp, peerLabel } from '../transport/udp-socket.js';
import { Admission, DEFAULT_MAX_CONNECTIONS } from './admission.js';

export interface UdpRoomOptions {
  encodings: EncodingPair;
  maxMessageBytes?: number;
  /** A peer that sends nothing for this long has left; default 5 minutes. */
  peerTimeoutMs?: number;
  /** Allow and deny lists for the peers. */
  admission?: Admission;
  /** Peers at once. */
  maxPeers?: number;
  rateLimits?: RateLimits;
}

/** A peer dropped for flooding is not heard again for this long. */
const FLOOD_BAN_MS = 60_000;

/**
 * A protected room lets a new UDP peer in only with the room password: a plain peer's
 * first datagram is "/pass SECRET" (and is not said in the room), a rocket's hello
 * carries it. Returns the reason to refuse, or undefined.
 */
function doorCheck(
  room: Room,
  datagram: Buffer,
  request: Record<string, unknown> | undefined,
): string | undefined {
  if (request) {
    if (request.type !== 'hello') return 'this room is protected: say hello with the room password';
    return typeof request.roomPassword === 'string' && room.checkRoomPassword(request.roomPassword)
      ? undefined
      : 'wrong or missing room password (--room-password-file)';
  }
  const pass = /^\/pass\s+(.+?)\s*$/s.exec(datagram.toString('utf8'));
  if (!pass) return 'this room is protected: send /pass SECRET first';
  return room.checkRoomPassword(pass[1]!) ? undefined : 'wrong room password';
}

export interface UdpRoomListener {
  readonly socket: Socket;
  readonly address: { address: string; port: number };
  close(): Promise<void>;
}

/**
 * Serves a room over UDP. There are no connections: a peer is learned from its first
 * datagram (address and port, as recvfrom returns them), answered at that address, and
 * forgotten after a silence. Pings from `rocket ping --udp` are answered without joining.
 */
export async function listenUdpRoom(
  room: Room,
  bind: { host?: string; port: number },
  options: UdpRoomOptions,
): Promise<UdpRoomListener> {
  const socket = await bindUdp(bind);
  const bound = socket.address();
  const peers = new Map<string, DatagramSession>();
  const banned = new Map<string, number>();
  const denialReplies = new ReplyThrottle(DENIAL_REPLY_EVERY_MS, DENIAL_REPLIES_PER_SECOND);
  const peerTimeoutMs = options.peerTimeoutMs ?? 5 * 60_000;
  const admission = options.admission ?? new Admission();
  const maxPeers = options.maxPeers ?? DEFAULT_MAX_CONNECTIONS;

  const linkTo = (rinfo: RemoteInfo, label: string): Link => ({
    label,
    address: rinfo.address,
    write(data: Buffer, onWritten?: (err?: Error | null) => void): void {
      // A vanished peer's ICMP error arrives later as a socket 'error'; nothing to do here.
      // Without a callback dgram finishes a send that went out at once without a deferred
      // call: the fan-out asks for one only where a letter waits for its write.
      if (onWritten === undefined) socket.send(data, rinfo.port, rinfo.address);
      else socket.send(data, rinfo.port, rinfo.address, (err) => onWritten(err));
    },
    // Datagrams have no flow control; yielding a turn lets replies and acks in.
    whenDrained: () => new Promise((resolve) => setImmediate(resolve)),
    queuedBytes: 0,
    end(): void {},
    destroy(): void {},
  });

  const forget = (key: string, session: DatagramSession): void => {
    if (peers.get(key) !== session) return;
    peers.delete(key);
    admission.release(session.address ?? '');
  };

  const hear = (datagram: Buffer, rinfo: RemoteInfo): void => {
    const key = peerLabel(rinfo);
    const bannedUntil = banned.get(key);
    if (bannedUntil !== undefined) {
      if (Date.now() < bannedUntil) return;
      banned.delete(key);
    }
    let session = peers.get(key);
    if (session?.isClosed) {
      forget(key, session);
      session = undefined;
    }
    const rocket = isRocketDatagram(datagram);
    const request = rocket ? decodeDatagram(datagram) : undefined;
    if (rocket) {
      if (request === undefined) return; // garbage after the magic: nobody to answer
      if (request.type === 'ping' && session === undefined) {
        // Not to a denied address: a pong is as big as the ping, but the room is no mirror
        // for the addresses it keeps out (they hear why, throttled, when they say anything).
        if (admission.listRefusal(rinfo.address) === undefined)
          socket.send(encodeDatagram(pongTo(request)), rinfo.port, rinfo.address);
        return;
      }
    }
    if (room.isClosed) return;
    if (session === undefined) {
      const unlisted = admission.listRefusal(rinfo.address);
      if (unlisted !== undefined) {
        // One line, as a TCP connection from there gets, but not one per datagram: source
        // addresses are easy to forge, and the room must not become a reflector.
        if (denialReplies.due(key)) socket.send(Buffer.from(`!!! ${unlisted}\n`), rinfo.port, rinfo.address);
        return;
      }
      if (peers.size >= maxPeers) {
        socket.send(Buffer.from('!!! the room is full; try again later\n'), rinfo.port, rinfo.address);
        return;
      }
      const refusal = room.isProtected ? doorCheck(room, datagram, request) : undefined;
      if (refusal !== undefined) {
        const reply = request
          ? encodeDatagram({ type: 'error', code: 'room-password', text: refusal })
          : Buffer.from(`!!! ${refusal}\n`);
        socket.send(reply, rinfo.port, rinfo.address);
        return;
      }
      // Peers from one address count against --max-conns-per-ip as connections do: a host
      // with thousands of source ports must not fill the room (each peer is a sendto per
      // line). Taken last, once nothing else turns the peer away; forget() gives it back.
      const crowded = admission.admit(rinfo.address);
      if (crowded !== undefined) {
        socket.send(Buffer.from(`!!! ${crowded}\n`), rinfo.port, rinfo.address);
        return;
      }
      // A socket bound to every address cannot tell which one a datagram came to (Node has
      // no IP_PKTINFO): the greeting names the port alone rather than "[::]".
      const roomAddress = isWildcardAddress(bound.address)
        ? `port ${bound.port}`
        : `${formatAddress(bound.address)}:${bound.port}`;
      const added = new DatagramSession(
        room,
        linkTo(rinfo, key),
        request ? 'rocket' : 'plain',
        options.encodings,
        roomAddress,
      );
      if (options.rateLimits) added.limit(options.rateLimits);
      peers.set(key, added);
      added.onClosed = () => forget(key, added);
      added.start();
      session = added;
      // The "/pass SECRET" that opened the door is not said in the room.
      if (room.isProtected && !request) return;
    }
    if (!session.admit(datagram.length)) {
      if (session.flooded) {
        banned.set(key, Date.now() + FLOOD_BAN_MS);
        forget(key, session);
      }
      return;
    }
    if (request) session.receiveRequest(request);
    else session.receiveText(datagram);
  };
  socket.on('message', (datagram: Buffer, rinfo: RemoteInfo) => {
    // A datagram is whatever its sender chose to send: a shape no check foresaw costs that
    // datagram, never the room its process.
    try {
      hear(datagram, rinfo);
    } catch {}
  });
  // ICMP port-unreachable from a peer that left shows up here on some systems; the room goes on.
  socket.on('error', () => {});

  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const [key, session] of peers) {
        if (session.isClosed) forget(key, session);
        else if (now - session.lastHeard > peerTimeoutMs) {
          session.expire('timed out: silent for too long');
          forget(key, session);
        }
      }
    },
    Math.max(50, Math.min(peerTimeoutMs / 4, 30_000)),
  );
  sweep.unref();

  return {
    socket,
    address: { address: bound.address, port: bound.port },
    close(): Promise<void> {
      clearInterval(sweep);
      // Let the goodbyes leave before the socket goes.
      return new Promise((resolve) => setImmediate(() => socket.close(() => resolve())));
    },
  };
}

function formatAddress(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

/** A denied peer (address and port) hears why at most this often... */
const DENIAL_REPLY_EVERY_MS = 10_000;
/** ...and all denied peers together at most this many times a second. */
const DENIAL_REPLIES_PER_SECOND = 50;
/** Peers remembered by a ReplyThrottle; past it, the longest-answered are forgotten first. */
const THROTTLE_PEERS = 4096;

/**
 * At most one reply per peer per period, and a few a second in all: a forged flood gets a
 * trickle of short lines, while someone who tries again from a new port hears why again.
 */
class ReplyThrottle {
  private readonly lastReply = new Map<string, number>();
  private second = 0;
  private repliesThisSecond = 0;

  constructor(
    private readonly periodMs: number,
    private readonly perSecond: number,
  ) {}

  /** True if `peer` may be answered now (and counts it as answered). */
  due(peer: string): boolean {
    const now = Date.now();
    const last = this.lastReply.get(peer);
    if (last !== undefined && now - last < this.periodMs) return false;
    const second = Math.floor(now / 1000);
    if (second !== this.second) {
      this.second = second;
      this.repliesThisSecond = 0;
    }
    if (this.repliesThisSecond >= this.perSecond) return false;
    this.repliesThisSecond += 1;
    this.lastReply.delete(peer); // re-inserted last: the map stays in reply order
    if (this.lastReply.size >= THROTTLE_PEERS)
      this.lastReply.delete(this.lastReply.keys().next().value as string);
    this.lastReply.set(peer, now);
    return true;
  }
}
