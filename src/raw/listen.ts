import type net from 'node:net';
import { isRocketError, UsageError } from '../errors.js';
import { adoptWithReadBuffer, ReadBufferLender } from '../transport/read-buffer.js';
import { type RelayEnd, relaySocket } from '../transport/relay.js';
import { formatHostPort } from '../transport/socket-errors.js';
import { listenTcp } from '../transport/tcp.js';
import { listenTls, RAW_PLAIN_CLIENT_NOTICE } from '../transport/tls.js';
import { peerOf, RawSession } from './session.js';
import { canReuseReadBuffer, openRawIo, type RawIo, SOCKET_READ_BYTES } from './stdio.js';
import type { RawListenOptions, RawStats } from './types.js';
import { rawListenUdp } from './udp.js';

/**
 * With keepOpen, connections that arrive while one is being served wait here, paused (their
 * bytes stay in the kernel), the way nc -k leaves them in the listen backlog. More than this
 * many waiting are closed at once: a queue without a cap is a memory leak with extra steps.
 */
export const MAX_QUEUED_CONNECTIONS = 8;

/**
 * Listens on a port and pipes the first connection to input/output, byte for byte, like
 * `nc -l port`. As with nc, the listening socket closes when that connection arrives (later
 * connects are refused) and the promise resolves when the connection is over, with the byte
 * counts. With `keepOpen` (nc -k) the next connection is served after the current one ends,
 * until the signal aborts: connections that arrive meanwhile are queued (up to
 * {@link MAX_QUEUED_CONNECTIONS}) and input that one connection did not consume goes to the
 * next; a connection that fails goes to `onConnectionError` instead of ending the listener.
 * The counts are summed over all connections, and so is `durationMs`.
 *
 * End-of-connection rules are those of {@link rawConnect}: end of input sends our FIN, the
 * peer's data is read to its FIN, and EPIPE on the output ends everything quietly.
 *
 * With `udp`, see {@link rawListenUdp}: datagrams from anyone go to the output, and input is
 * sent to the last peer heard from.
 *
 * Rejects with a RocketError, e.g. "Cannot listen on port 80 (tcp): ports 0-1023 are reserved ...".
 *
 * @example
 * // Receive one file: `rocket connect --raw this-host 9000 < file` on the other side.
 * import fs from 'node:fs';
 * const stats = await rawListen({
 *   port: 9000,
 *   output: fs.createWriteStream('received.bin'),
 *   onListening: ({ address, port }) => console.error(`Listening on ${address} ${port} (tcp)`),
 * });
 * console.error(`got ${stats.bytesReceived} bytes`);
 */
export async function rawListen(options: RawListenOptions): Promise<RawStats> {
  if (options.udp) {
    if (options.tls)
      throw new UsageError('cannot use --tls with --udp: TLS needs TCP, and nothing over UDP is encrypted');
    return rawListenUdp(options);
  }
  // Without TCP_NODELAY, like nc: see TcpConnectOptions.noDelay.
  const bind = {
    host: options.host,
    port: options.port,
    allowHalfOpen: true,
    pauseOnConnect: true,
    noDelay: false,
  };
  const onConnection = (socket: net.Socket): void => listener.accept(socket);
  const server = options.tls
    ? await listenTls(
        { ...bind, tls: { plainClientNotice: RAW_PLAIN_CLIENT_NOTICE, ...options.tls } },
        onConnection,
      )
    : await listenTcp(bind, onConnection);
  const listener = new TcpRawListener(server, options, openRawIo(options));
  const address = server.address() as net.AddressInfo;
  options.onListening?.({ address: address.address, port: address.port });
  return listener.done;
}

class TcpRawListener {
  readonly done: Promise<RawStats>;
  private resolve!: (stats: RawStats) => void;
  private reject!: (err: unknown) => void;
  private readonly queue: net.Socket[] = [];
  private serving = false;
  private stopping = false;
  private finished = false;
  private readonly totals: RawStats = { bytesSent: 0, bytesReceived: 0, durationMs: 0 };

  constructor(
    private readonly server: net.Server,
    private readonly options: RawListenOptions,
    private readonly io: RawIo,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    server.on('error', (err) => this.end(err));
    if (options.signal?.aborted) this.end();
    else options.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  accept(socket: net.Socket): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    // nc -l takes one connection and closes the listening socket, so later connects are refused.
    if (!this.options.keepOpen) this.stopListening();
    if (!this.serving) {
      void this.serve(socket);
      return;
    }
    if (!this.options.keepOpen || this.queue.length >= MAX_QUEUED_CONNECTIONS) {
      socket.destroy(); // a plain close (FIN): the peer reads end-of-file at once
      return;
    }
    socket.on('error', ignore); // a queued peer that resets is simply skipped later
    this.queue.push(socket);
  }

  private async serve(accepted: net.Socket): Promise<void> {
    this.serving = true;
    // TLS decrypts into buffers of its own, so only plain TCP reads into a lent buffer.
    const socket =
      !this.options.tls && canReuseReadBuffer(this.io.output)
        ? adoptWithReadBuffer(accepted, new ReadBufferLender(SOCKET_READ_BYTES), { allowHalfOpen: true })
        : accepted;
    const peer = peerOf(socket.remoteAddress, socket.remotePort);
    this.options.onConnection?.(peer);
    const session = new RawSession(this.options.progress);
    let end: RelayEnd | undefined;
    let failure: unknown;
    try {
      end = await relaySocket(socket, {
        input: this.io.input,
        output: this.io.output,
        counters: session.counters,
        peerLabel: formatHostPort(peer.address, peer.port),
        quitAfterEofMs: this.options.quitAfterEofMs,
        exitOnPeerEnd: this.options.exitOnPeerEnd ?? this.io.inputIsTerminal,
        signal: this.options.signal,
      });
    } catch (err) {
      failure = err;
    } finally {
      socket.destroy();
      const stats = session.stop();
      this.totals.bytesSent += stats.bytesSent;
      this.totals.bytesReceived += stats.bytesReceived;
      this.totals.durationMs += stats.durationMs;
    }
    this.serving = false;
    if (failure !== undefined) {
      // Only the connection's own failure is survivable: a broken input or output is not.
      const perConnection = isRocketError(failure) && failure.code === 'ROCKET_ERR_CONNECTION_LOST';
      if (!this.options.keepOpen || !perConnection) {
        this.end(failure);
        return;
      }
      this.options.onConnectionError?.(failure as Error);
    }
    if (!this.options.keepOpen || this.stopping || end === 'output-closed') {
      this.end();
      return;
    }
    const next = this.nextQueued();
    if (next) void this.serve(next);
  }

  private nextQueued(): net.Socket | undefined {
    for (let socket = this.queue.shift(); socket; socket = this.queue.shift()) {
      socket.off('error', ignore);
      if (!socket.destroyed) return socket;
    }
    return undefined;
  }

  private readonly onAbort = (): void => {
    this.stopping = true;
    this.stopListening();
    // With a connection in progress, the relay sees the same signal and serve() ends us.
    if (!this.serving) this.end();
  };

  private stopListening(): void {
    if (this.server.listening) this.server.close();
  }

  private end(err?: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.stopping = true;
    this.stopListening();
    for (const socket of this.queue.splice(0)) socket.destroy();
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.io.close().then(
      () => (err === undefined ? this.resolve({ ...this.totals }) : this.reject(err)),
      (closeErr: unknown) => this.reject(err ?? closeErr),
    );
  }
}

function ignore(): void {}
