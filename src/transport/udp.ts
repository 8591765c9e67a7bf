import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import { describeConnectError, describeListenError } from './socket-errors.js';

export interface UdpConnectOptions {
  host: string;
  port: number;
}

/**
 * Opens a connected UDP socket: the kernel then drops datagrams from anyone but the peer,
 * and an ICMP "port unreachable" comes back as ECONNREFUSED (an 'error' event from recvmsg),
 * which is how a UDP client can tell that nobody is listening.
 */
export async function connectUdp(options: UdpConnectOptions): Promise<dgram.Socket> {
  const { host, port } = options;
  let address = host;
  let family = net.isIP(host);
  if (family === 0) {
    try {
      ({ address, family } = await dns.promises.lookup(host));
    } catch (err) {
      throw describeConnectError(err, host, port, 'udp');
    }
  }
  const socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      socket.close();
      reject(describeConnectError(err, host, port, 'udp'));
    };
    socket.once('error', onError);
    socket.connect(port, address, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

export interface UdpBindOptions {
  /** Address to bind; undefined binds every interface, IPv6 and IPv4 where the machine has both. */
  host?: string;
  port: number;
}

/**
 * Binds a UDP socket. Without a host it binds `::` with IPV6_V6ONLY off, so IPv4 senders
 * arrive too (as ::ffff:a.b.c.d), and falls back to 0.0.0.0 on a machine without IPv6,
 * the same as Node does for TCP servers.
 */
export async function bindUdp(options: UdpBindOptions): Promise<dgram.Socket> {
  const { host, port } = options;
  if (host === undefined) {
    try {
      return await bindOnce('udp6', '::', port);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL')
        throw describeListenError(err, host, port, 'udp');
    }
    try {
      return await bindOnce('udp4', '0.0.0.0', port);
    } catch (err) {
      throw describeListenError(err, host, port, 'udp');
    }
  }
  let address = host;
  let family = net.isIP(host);
  try {
    if (family === 0) ({ address, family } = await dns.promises.lookup(host));
    return await bindOnce(family === 6 ? 'udp6' : 'udp4', address, port);
  } catch (err) {
    throw describeListenError(err, host, port, 'udp');
  }
}

function bindOnce(type: 'udp4' | 'udp6', address: string, port: number): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type, ipv6Only: false });
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      socket.close();
      reject(err);
    };
    socket.once('error', onError);
    socket.bind({ address, port }, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}
