import { hostname } from 'node:os';
import { type MailLimits, Mailroom } from '../chat/mailroom.js';
import { DEFAULT_RATE_LIMITS, type RateLimits } from '../chat/rate-limit.js';
import { Room } from '../chat/room.js';
import { UsageError } from '../errors.js';
import { checkPort } from '../netutil/port-status.js';
import { DEFAULT_ENCODING, type EncodingPair } from '../protocol/codec.js';
import type { MailStore } from '../store/mail-store.js';
import { openStore } from '../store/open-store.js';
import { describeListenError } from '../transport/socket-errors.js';
import type { TlsServerOptions } from '../transport/tls.js';
import {
  Admission,
  type AdmissionOptions,
  DEFAULT_MAX_PER_ADDRESS,
  DEFAULT_UDP_MAX_PER_ADDRESS,
} from './admission.js';
import { listenTcpRoom } from './tcp-room-server.js';
import { listenUdpRoom } from './udp-room-server.js';

export interface RoomServerOptions {
  /** 0 picks a free port (see `address`). */
  port: number;
  /** Address to bind; default every interface, IPv6 and IPv4. */
  host?: string;
  /** Serve the room over UDP datagrams instead of TCP. */
  udp?: boolean;
  /** Room name shown in greetings; default this machine's host name. */
  name?: string;
  /** Default wire encodings for plain clients; each can change its own with /encoding. */
  encodings?: EncodingPair;
  /** A plain client's text without a newline becomes a message after this pause (ms). */
  idleFlushMs?: number;
  /** Longest message accepted, in bytes. */
  maxMessageBytes?: number;
  /** A client that falls this far behind in reading is dropped. */
  maxQueuedBytes?: number;
  /** UDP: a peer silent this long has left (ms). */
  peerTimeoutMs?: number;
  /**
   * Where letters for people who are away wait: `{ dataDir }` keeps them durably in SQLite
   * there, 'memory' only while the room runs (the default), or any MailStore.
   */
  store?: 'memory' | { dataDir?: string } | MailStore;
  /** Quota per recipient, letter size and retention. */
  mailLimits?: Partial<MailLimits>;
  /** A room password: nobody sees or says anything in the room before giving it. */
  password?: string;
  /** Who may connect (CIDR lists) and how many at once, in all and per address. */
  admission?: AdmissionOptions;
  /** Messages and bytes a second per connection, and when a peer counts as flooding. */
  rateLimits?: Partial<RateLimits>;
  /** TCP: a connection that sends nothing for this long is closed (ms); 0 never. Default 30 min. */
  idleTimeoutMs?: number;
  /**
   * TCP: all the output the room may hold for its members; past it, those furthest behind
   * are dropped. Default 256 MiB.
   */
  outputBudgetBytes?: number;
  /**
   * Serve the room over TLS (TCP only: nothing over UDP is encrypted). The certificate comes
   * from e.g. `loadServerCertificate`; plain clients are told this port speaks TLS.
   */
  tls?: TlsServerOptions;
  /** Hears of letter-store failures while the room runs (a damaged or deleted file), for its log. */
  onStoreError?: (message: string) => void;
}

export interface RoomServer {
  readonly room: Room;
  readonly protocol: 'tcp' | 'udp';
  /** The bound address and port. */
  readonly address: { address: string; port: number };
  /** Where letters are kept, for people. */
  readonly storeLocation: string;
  readonly durable: boolean;
  /** Says goodbye to every member, closes every connection, stops listening, and flushes the store. */
  close(text?: string): Promise<void>;
}

/**
 * A port already taken is the likelier reason a second room on it fails, and the one to
 * report: check it before the store (whose file that room holds locked) is opened.
 */
async function refuseTakenPort(options: RoomServerOptions): Promise<void> {
  if (options.port === 0 || options.store === undefined || options.store === 'memory') return;
  const protocol = options.udp ? 'udp' : 'tcp';
  const availability = await checkPort(options.port, { protocol, host: options.host }).catch(() => 'free');
  if (availability === 'in-use') {
    throw describeListenError({ code: 'EADDRINUSE' }, options.host, options.port, protocol);
  }
}

async function resolveStore(options: RoomServerOptions): Promise<MailStore> {
  const { store } = options;
  if (store === undefined || store === 'memory') return openStore({ memory: true });
  if ('put' in store) return store;
  // Each room (protocol and port) has its own file, so a TCP and a UDP room can run side by side.
  return openStore({
    dataDir: store.dataDir,
    fileName: `room-${options.udp ? 'udp' : 'tcp'}-${options.port}.db`,
  });
}

/**
 * Starts a chat room (George's side): any number of clients over TCP or UDP, rockets and
 * plain clients alike.
 *
 * @example
 * const server = await startRoomServer({ port: 8888 });
 * console.log(`room on port ${server.address.port}`);
 * process.on('SIGINT', () => void server.close());
 */
export async function startRoomServer(options: RoomServerOptions): Promise<RoomServer> {
  const admission = new Admission({
    ...options.admission,
    maxPerAddress:
      options.admission?.maxPerAddress ??
      (options.udp ? DEFAULT_UDP_MAX_PER_ADDRESS : DEFAULT_MAX_PER_ADDRESS),
  }); // bad lists fail before anything opens
  await refuseTakenPort(options);
  const store = await resolveStore(options);
  const mailroom = await Mailroom.open(store, options.mailLimits);
  try {
    return await serveRoom(options, admission, mailroom, store);
  } catch (err) {
    await mailroom.close(); // the port was taken, say: leave the store closed and unlocked
    throw err;
  }
}

async function serveRoom(
  options: RoomServerOptions,
  admission: Admission,
  mailroom: Mailroom,
  store: MailStore,
): Promise<RoomServer> {
  const room = new Room({
    name: options.name ?? hostname(),
    mailroom,
    password: options.password,
    onStoreError: options.onStoreError,
  });
  const rateLimits = { ...DEFAULT_RATE_LIMITS, ...options.rateLimits };
  const common = { storeLocation: store.location, durable: store.durable };
  const encodings = options.encodings ?? { send: DEFAULT_ENCODING, recv: DEFAULT_ENCODING };
  const bind = { host: options.host, port: options.port };
  if (options.udp) {
    if (options.tls)
      throw new UsageError('cannot use --tls with --udp: TLS needs TCP, and nothing over UDP is encrypted');
    const listener = await listenUdpRoom(room, bind, {
      encodings,
      maxMessageBytes: options.maxMessageBytes,
      peerTimeoutMs: options.peerTimeoutMs,
      admission,
      maxPeers: options.admission?.maxConnections,
      rateLimits,
    });
    return {
      room,
      protocol: 'udp',
      address: listener.address,
      ...common,
      close: closeOnce(async (text?: string) => {
        room.close(text);
        await listener.close();
        await mailroom.close();
      }),
    };
  }
  const listener = await listenTcpRoom(
    room,
    bind,
    {
      encodings,
      idleFlushMs: options.idleFlushMs,
      maxMessageBytes: options.maxMessageBytes,
      maxQueuedBytes: options.maxQueuedBytes,
      rateLimits,
    },
    {
      admission,
      idleTimeoutMs: options.idleTimeoutMs ?? 30 * 60_000,
      outputBudgetBytes: options.outputBudgetBytes,
    },
    options.tls,
  );
  const bound = listener.server.address();
  const address =
    typeof bound === 'object' && bound !== null
      ? { address: bound.address, port: bound.port }
      : { address: '?', port: options.port };
  return {
    room,
    protocol: 'tcp',
    address,
    ...common,
    close: closeOnce(async (text?: string) => {
      room.close(text);
      await listener.close();
      await mailroom.close();
    }),
  };
}

/** A close that can be called again (by a signal handler and by cleanup, say): once is done. */
function closeOnce(close: (text?: string) => Promise<void>): (text?: string) => Promise<void> {
  let closing: Promise<void> | undefined;
  return (text) => {
    closing ??= close(text);
    return closing;
  };
}
