import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import { describeListenError } from './socket-errors.js';

/** Asked of the kernel for each room socket; see bindOnce. */
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

export interface UdpBindOptions {
  /** Address to bind; undefined binds every interface, IPv6 and IPv4 where the machine has both. */
  host?: string;
  port: number;
}

/**
 * Binds a UDP socket. Without a host it binds `::` in dual-stack mode so IPv4 peers reach
 * it too; a machine without IPv6 falls back to 0.0.0.0.
 */
export async function bindUdp(options: UdpBindOptions): Promise<dgram.Socket> {
  if (options.host !== undefined) {
    const type = options.host.includes(':') ? 'udp6' : 'udp4';
    return bindOnce(type, options.host, options.port);
  }
  try {
    return await bindOnce('udp6', '::', options.port);
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code;
    if (code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL') return bindOnce('udp4', '0.0.0.0', options.port);
    throw err;
  }
}

function bindOnce(type: 'udp4' | 'udp6', host: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    // A room fans each datagram out and pauses for GC now and then: the kernel's default
    // receive buffer (208 KiB, ~270 small datagrams) overflows in a 13 ms pause at 20,000/s.
    // The kernel caps these at net.core.rmem_max / wmem_max.
    const socket = dgram.createSocket({
      type,
      ipv6Only: false,
      reuseAddr: false,
      recvBufferSize: SOCKET_BUFFER_BYTES,
      sendBufferSize: SOCKET_BUFFER_BYTES,
      lookup: literalFirstLookup,
    });
    const onError = (err: Error): void => {
      socket.close();
      reject(describeListenError(err, host === '::' ? undefined : host, port, 'udp'));
    };
    socket.once('error', onError);
    socket.bind({ address: host, port, exclusive: true }, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/**
 * dgram resolves the address of every send, even an IP literal, and dns.lookup answers a
 * literal a tick later: a room replying to recvfrom addresses paid a deferred callback per
 * datagram. A literal is answered at once (as dns.lookup would answer it); names still go
 * to dns.lookup.
 */
function literalFirstLookup(
  hostname: string,
  options: dns.LookupOneOptions | number,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = net.isIP(hostname);
  if (family !== 0) {
    callback(null, hostname, family);
    return;
  }
  dns.lookup(hostname, options as dns.LookupOneOptions, callback);
}

/** "address:port" of a datagram's sender, IPv4-mapped IPv6 shown as plain IPv4. */
export function peerLabel(rinfo: { address: string; port: number }): string {
  // Made for every datagram a room hears: startsWith, not a regular expression.
  const address = rinfo.address.startsWith('::ffff:') ? rinfo.address.slice(7) : rinfo.address;
  return address.includes(':') ? `[${address}]:${rinfo.port}` : `${address}:${rinfo.port}`;
}
