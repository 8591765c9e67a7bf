/**
 * Real servers on 127.0.0.1 with OS-chosen ports for the netutil tests (library and CLI).
 * Each returns its port and a close(); tests close what they open.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { decodeDatagram, encodeDatagram } from '../../../src/protocol/udp-wire.js';

export interface LocalServer {
  port: number;
  close(): Promise<void>;
}

/** A TCP server that accepts and immediately ends each connection. */
export function listenTcp(): Promise<LocalServer> {
  return new Promise((resolve, reject) => {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
      socket.end();
    });
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () =>
          new Promise((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** A TCP port on 127.0.0.1 that was just free: bound by the OS, then released. */
export async function closedTcpPort(): Promise<number> {
  const server = await listenTcp();
  await server.close();
  return server.port;
}

/** A UDP port on 127.0.0.1 that was just free: bound by the OS, then released. */
export async function closedUdpPort(): Promise<number> {
  const socket = await bindUdp(() => {});
  await socket.close();
  return socket.port;
}

/**
 * A UDP socket that answers rocket pings the way a rocket UDP listener does
 * ({type:'ping',seq,ts} -> {type:'pong',seq,ts}), and counts them.
 */
export async function udpPingResponder(): Promise<LocalServer & { pings: () => number }> {
  let pings = 0;
  const server = await bindUdp((socket, datagram, rinfo) => {
    const message = decodeDatagram(datagram);
    if (message?.type !== 'ping') return;
    pings++;
    socket.send(
      encodeDatagram({ type: 'pong', seq: message.seq, ts: message.ts }),
      rinfo.port,
      rinfo.address,
    );
  });
  return { ...server, pings: () => pings };
}

/** A bound UDP socket that never answers: probes to it time out. */
export function silentUdp(): Promise<LocalServer & { received: () => number }> {
  let received = 0;
  return bindUdp(() => {
    received++;
  }).then((server) => ({ ...server, received: () => received }));
}

function bindUdp(
  onMessage: (socket: dgram.Socket, datagram: Buffer, rinfo: dgram.RemoteInfo) => void,
): Promise<LocalServer> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.on('message', (datagram, rinfo) => onMessage(socket, datagram, rinfo));
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      resolve({
        port: socket.address().port,
        close: () => new Promise((done) => socket.close(() => done())),
      });
    });
  });
}
