import type { Server, Socket } from 'node:net';
import type { Room } from '../chat/room.js';
import { StreamSession, type StreamSessionOptions } from '../chat/stream-session.js';
import { describeLostPeer, formatHostPort } from '../transport/socket-errors.js';
import { listenTcp } from '../transport/tcp.js';
import { createTcpLink } from '../transport/tcp-link.js';

export type TcpSessionOptions = Omit<StreamSessionOptions, 'roomAddress'>;

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
): Promise<TcpRoomListener> {
  const sockets = new Set<Socket>();
  const onConnection = (socket: Socket): void => {
    if (room.isClosed) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    const roomAddress = formatHostPort(
      (socket.localAddress ?? '?').replace(/^::ffff:/, ''),
      socket.localPort ?? 0,
    );
    const session = new StreamSession(room, createTcpLink(socket), { ...sessionOptions, roomAddress });
    let failure: string | undefined;
    socket.on('data', (chunk: Buffer) => session.receive(chunk));
    socket.on('end', () => session.peerEnded());
    socket.on('error', (err) => {
      failure = describeLostPeer(err);
    });
    socket.on('close', () => {
      sockets.delete(socket);
      session.lost(failure);
    });
    session.start();
  };
  const server = await listenTcp(bind, onConnection);
  // A listening socket error after bind (e.g. EMFILE on accept) must not kill the room.
  server.on('error', () => {});

  return {
    server,
    close(graceMs = 2000): Promise<void> {
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
