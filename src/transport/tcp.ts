import net from 'node:net';
import { RocketError } from '../errors.js';
import { describeConnectError, describeListenError } from './socket-errors.js';

export interface TcpListenOptions {
  /** Address to bind; undefined binds every interface, IPv6 and IPv4 where the machine has both. */
  host?: string;
  port: number;
  /** Keep our sending half open after the peer's FIN (raw mode's half-close); default false. */
  allowHalfOpen?: boolean;
  /** Accept connections without reading from them until resumed (raw mode queues them); default false. */
  pauseOnConnect?: boolean;
  /** TCP_NODELAY on accepted connections; default true (see {@link TcpConnectOptions.noDelay}). */
  noDelay?: boolean;
}

/**
 * Binds a TCP server. Without a host Node binds `::` with dual-stack, so IPv4 clients
 * arrive as well (as ::ffff:a.b.c.d); on a machine without IPv6 it falls back to 0.0.0.0.
 */
export function listenTcp(
  options: TcpListenOptions,
  onConnection?: (socket: net.Socket) => void,
): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer(
      {
        noDelay: options.noDelay ?? true,
        allowHalfOpen: options.allowHalfOpen ?? false,
        pauseOnConnect: options.pauseOnConnect ?? false,
      },
      onConnection,
    );
    const onError = (err: Error): void => {
      server.close();
      reject(describeListenError(err, options.host, options.port, 'tcp'));
    };
    server.once('error', onError);
    server.listen({ host: options.host, port: options.port }, () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}

export interface TcpConnectOptions {
  host: string;
  port: number;
  /** Give up after this long without a completed handshake; default 10 s. */
  timeoutMs?: number;
  /** Local address to bind before connecting (e.g. 127.0.0.2). */
  localAddress?: string;
  /** Keep our sending half open after the peer's FIN (raw mode's half-close); default false. */
  allowHalfOpen?: boolean;
  /**
   * TCP_NODELAY: send each write at once; default true, since a chat line must not wait for
   * the previous one's acknowledgement. Bulk transfers turn it off, like nc: a 64 KiB write
   * is one full loopback segment plus a small tail, and without Nagle every tail goes out as
   * a packet of its own.
   */
  noDelay?: boolean;
  /** Read into a caller's buffer instead of emitting 'data' (net.connect's onread; raw mode's ReadBufferLender). */
  onread?: net.OnReadOpts;
}

/** Opens a TCP connection, or rejects with a RocketError that says why not. */
export function connectTcp(options: TcpConnectOptions): Promise<net.Socket> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const socket = net.connect({
      host: options.host,
      port: options.port,
      noDelay: options.noDelay ?? true,
      localAddress: options.localAddress,
      allowHalfOpen: options.allowHalfOpen ?? false,
      onread: options.onread,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        describeConnectError(
          new RocketError('ROCKET_ERR_TIMEOUT', 'timeout'),
          options.host,
          options.port,
          'tcp',
        ),
      );
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
    const onError = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(describeConnectError(err, options.host, options.port, 'tcp'));
    };
    socket.once('error', onError);
  });
}

/** "host:port" of the far end, with IPv4-mapped IPv6 shown as plain IPv4. */
export function remoteLabel(socket: net.Socket): string {
  const address = (socket.remoteAddress ?? '?').replace(/^::ffff:/, '');
  return address.includes(':') ? `[${address}]:${socket.remotePort}` : `${address}:${socket.remotePort}`;
}
