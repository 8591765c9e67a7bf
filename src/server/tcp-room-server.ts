import type { Server, Socket } from 'node:net';
import type { Room } from '../chat/room.js';
import { StreamSession, type StreamSessionOptions } from '../chat/stream-session.js';
import { describeLostPeer, formatHostPort } from '../transport/socket-errors.js';
import { listenTcp } from '../transport/tcp.js';
import { createTcpLink, LinkGroup } from '../transport/tcp-link.js';
import { listenTls, type TlsServerOptions } from '../transport/tls.js';
import { Admission } from './admission.js';
import { OutputBudget } from './output-budget.js';

export type TcpSessionOptions = Omit<StreamSessionOptions, 'roomAddress'>;

export interface TcpRoomLimits {
  /** Who may connect, and how many at once. */
  admission?: Admission;
  /** A connection that sends nothing for this long is closed; 0 never. */
  idleTimeoutMs?: number;
  /** All output the room may hold for its members (see OutputBudget). */
  outputBudgetBytes?: number;
}

export interface TcpRoomListener {
  readonly server: Server;
  /** Says goodbye through the room first (the caller does), then waits for every socket to close. */
  close(graceMs?: number): Promise<void>;
}

/** Serves a room over TCP: every accepted socket becomes a StreamSession. */
export async function listenTcpRoom(
  room: Room,
  bind: { host?: string; port: number },
  sessionOptions: TcpSessionOptions,
  limits: TcpRoomLimits = {},
  /** Serve over TLS: each session gets the decrypted socket once the handshake is done. */
  tls?: TlsServerOptions,
): Promise<TcpRoomListener> {
  const admission = limits.admission ?? new Admission();
  // One room, one backpressure group: a slow reader here never holds back another room.
  const links = new LinkGroup();
  const sockets = new Set<Socket>();
  const sessions = new Set<StreamSession>();
  const budget = new OutputBudget(() => sessions, limits.outputBudgetBytes);
  budget.start();
  // The address's slot is free once the session is over, which can be after the socket
  // closed: lines the peer sent before it went are still said at the room's pace.
  const releaseSlot = (session: StreamSession): void => admission.release(session.address ?? '');
  const onConnection = (socket: Socket): void => {
    if (room.isClosed) {
      socket.destroy();
      return;
    }
    const peerAddress = socket.remoteAddress ?? '';
    // Over TLS the door was checked before the handshake (admitRaw), on the raw socket.
    if (!tls) {
      const refusal = admission.admit(peerAddress);
      if (refusal !== undefined) {
        // One line that says why, then the door closes; nothing of the room is shown.
        socket.on('error', () => {});
        socket.end(`!!! ${refusal}\n`);
        socket.setTimeout(2000, () => socket.destroy());
        return;
      }
    }
    sockets.add(socket);
    if (limits.idleTimeoutMs) socket.setTimeout(limits.idleTimeoutMs, () => session.idle());
    const roomAddress = formatHostPort(
      (socket.localAddress ?? '?').replace(/^::ffff:/, ''),
      socket.localPort ?? 0,
    );
    const session = new StreamSession(room, createTcpLink(socket, links), {
      ...sessionOptions,
      roomAddress,
      onFinished: tls ? undefined : releaseSlot,
    });
    sessions.add(session);
    let failure: string | undefined;
    socket.on('data', (chunk: Buffer) => session.receive(chunk));
    socket.on('end', () => session.peerEnded());
    socket.on('error', (err) => {
      failure = describeLostPeer(err);
    });
    socket.on('close', () => {
      sockets.delete(socket);
      sessions.delete(session);
      session.lost(failure);
    });
    session.start();
  };
  /**
   * The TLS door: a refused address is closed before a byte is read or a handshake made (a
   * TLS client cannot read a text line anyway); the slot is held until the raw socket closes.
   */
  const admitRaw = (raw: Socket): boolean => {
    const address = raw.remoteAddress ?? '';
    const refusal = admission.admit(address);
    if (refusal !== undefined) {
      tls?.onClientError?.(`${address} turned away before TLS: ${refusal}`);
      raw.destroy();
      return false;
    }
    raw.once('close', () => admission.release(address));
    return true;
  };
  const server = tls
    ? await listenTls({ ...bind, allowHalfOpen: true, tls, admit: admitRaw }, onConnection)
    : await listenTcp({ ...bind, allowHalfOpen: true }, onConnection);
  // A listening socket error after bind (e.g. EMFILE on accept) must not kill the room.
  server.on('error', () => {});

  return {
    server,
    close(graceMs = 2000): Promise<void> {
      budget.stop();
      return new Promise((resolve) => {
        server.close();
        if (sockets.size === 0) {
          resolve();
          return;
        }
        const timer = setTimeout(() => {
          for (const socket of sockets) socket.destroy();
        }, graceMs);
        timer.unref();
        const check = (): void => {
          if (sockets.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        };
        for (const socket of sockets) socket.once('close', () => setImmediate(check));
      });
    },
  };
}
