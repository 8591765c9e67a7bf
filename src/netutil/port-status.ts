import dgram from 'node:dgram';
import net from 'node:net';
import { describeListenError } from '../transport/socket-errors.js';
import { isPort } from './ports.js';

type Protocol = 'tcp' | 'udp';

/**
 * Whether this machine could listen on a port right now:
 * - `free`: a bind succeeded (and was closed at once);
 * - `in-use`: another socket holds it (EADDRINUSE);
 * - `needs-admin`: the OS reserves it for administrators (EACCES, ports below 1024 on most systems).
 */
export type PortAvailability = 'free' | 'in-use' | 'needs-admin';

export interface PortCheckOptions {
  protocol?: Protocol;
  /** Address to try; by default every interface, which is what a server usually binds. */
  host?: string;
}

/** The availability in the words `rocket port` prints. */
export const AVAILABILITY_LABELS: Readonly<Record<PortAvailability, string>> = {
  free: 'free',
  'in-use': 'in use',
  'needs-admin': 'reserved, needs administrator rights',
};

/**
 * Checks whether a port can be bound here by binding it and closing it again. The answer
 * is only true for the moment it was taken. Binding every interface also notices a
 * server that listens on one address only (e.g. 127.0.0.1) on Linux and Windows;
 * BSD-style stacks (macOS) may allow both binds and so answer `free` for such a port.
 * Throws a RocketError for other failures (e.g. a host that is not an address of this machine).
 *
 * @example
 * await checkPort(8888); // 'free'
 * await checkPort(22); // 'in-use' where sshd runs, 'needs-admin' elsewhere for a non-root user
 */
export async function checkPort(port: number, options: PortCheckOptions = {}): Promise<PortAvailability> {
  if (!isPort(port) || port === 0) {
    throw new RangeError(
      `cannot check port ${port}: use 1-65535 (binding port 0 asks the OS for any free port)`,
    );
  }
  const protocol = options.protocol ?? 'tcp';
  try {
    await (await bind(protocol, port, options.host)).close();
    return 'free';
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'EADDRINUSE') return 'in-use';
    if (code === 'EACCES' || code === 'EPERM') return 'needs-admin';
    throw describeListenError(err, options.host, port, protocol);
  }
}

/**
 * A port that is free right now, chosen by the OS (bind port 0, read it back, close).
 * Someone else may take it before you bind it; where you can, listen on port 0
 * yourself and read the port back instead.
 *
 * @example
 * const port = await findFreePort(); // e.g. 43817
 * const udpPort = await findFreePort({ protocol: 'udp', host: '127.0.0.1' });
 */
export async function findFreePort(options: PortCheckOptions = {}): Promise<number> {
  const protocol = options.protocol ?? 'tcp';
  try {
    const bound = await bind(protocol, 0, options.host);
    await bound.close();
    return bound.port;
  } catch (err) {
    throw describeListenError(err, options.host, 0, protocol);
  }
}

interface Bound {
  port: number;
  close(): Promise<void>;
}

function bind(protocol: Protocol, port: number, host: string | undefined): Promise<Bound> {
  return protocol === 'tcp' ? bindTcp(port, host) : bindUdp(port, host);
}

function bindTcp(port: number, host: string | undefined): Promise<Bound> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    // Without a host Node binds :: (dual-stack) and falls back to 0.0.0.0 without IPv6.
    server.listen({ port, host, exclusive: true }, () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

async function bindUdp(port: number, host: string | undefined): Promise<Bound> {
  if (host !== undefined) return bindUdpOnce(net.isIPv6(host) ? 'udp6' : 'udp4', port, host);
  try {
    // :: without ipv6Only also covers IPv4, like the TCP default above.
    return await bindUdpOnce('udp6', port, '::');
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL') return bindUdpOnce('udp4', port, '0.0.0.0');
    throw err;
  }
}

function bindUdpOnce(type: dgram.SocketType, port: number, host: string): Promise<Bound> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(type);
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.bind({ port, address: host, exclusive: true }, () => {
      resolve({
        port: socket.address().port,
        close: () => new Promise((done) => socket.close(() => done())),
      });
    });
  });
}

function errnoOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err
    ? String((err as { code: unknown }).code)
    : undefined;
}
