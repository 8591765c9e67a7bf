import type dgram from 'node:dgram';
import { RocketError } from '../errors.js';
import { isOutputGone, waitForOutput } from '../transport/relay.js';
import { describeConnectError, describeLostPeer, formatHostPort } from '../transport/socket-errors.js';
import { bindUdp, connectUdp } from '../transport/udp.js';
import { peerOf, RawSession } from './session.js';
import { openRawIo, type RawIo } from './stdio.js';
import type { RawConnectOptions, RawListenOptions, RawPeer, RawStats } from './types.js';

/**
 * Largest datagram rocket sends. nc -u sends whatever one read() returned, at most its 16 KiB
 * buffer, so a line typed at a terminal is one datagram; rocket does the same with its reads
 * and splits bigger ones (a pipe read can be 64 KiB) at 16 KiB. That is well under the UDP
 * limit (65,507 bytes over IPv4) and fine on loopback and LANs, where the kernel fragments
 * it; across the internet, where fragments get lost, send smaller chunks.
 */
export const MAX_DATAGRAM_BYTES = 16 * 1024;

/** Bytes handed to the socket but not yet sent, above which input is paused. */
const SEND_QUEUE_HIGH_BYTES = 1024 * 1024;

/**
 * UDP cannot tell the sender to slow down, so when the output falls this far behind, further
 * datagrams are dropped (and counted in datagramsDropped) instead of buffered without limit.
 */
export const OUTPUT_BACKLOG_CAP_BYTES = 16 * 1024 * 1024;

/**
 * rawConnect with `udp`: a connected UDP socket, so an ICMP "port unreachable" is reported as
 * "nobody is listening". Input chunks go out as datagrams of at most {@link MAX_DATAGRAM_BYTES};
 * datagrams from the peer go to the output as they are. UDP has no end-of-stream, so, like
 * nc -u, this keeps receiving after the input ends until `quitAfterEofMs` runs out (counted
 * from the moment the last datagram was sent) or the signal aborts.
 */
export async function rawConnectUdp(options: RawConnectOptions): Promise<RawStats> {
  const { host, port } = options;
  const io = openRawIo(options);
  let socket: dgram.Socket;
  try {
    socket = await connectUdp({ host, port });
  } catch (err) {
    await io.close();
    throw err;
  }
  const session = new RawSession(options.progress);
  try {
    await relayDatagrams(socket, {
      io,
      session,
      quitAfterEofMs: options.quitAfterEofMs,
      signal: options.signal,
      connected: true,
      describeSendError: (err) => describeConnectError(err, host, port, 'udp'),
      describeSocketError: (err) => describeConnectError(err, host, port, 'udp'),
    });
  } finally {
    socket.close();
    session.stop(true);
    await io.close();
  }
  return session.stop(true);
}

/**
 * rawListen with `udp`, like nc -u -l: datagrams from any sender go to the output, and input
 * is sent to the last sender heard from. Input is not read until somebody has sent a datagram,
 * since until then there is nobody to send it to. `onConnection` is called each time a new
 * sender turns up. Ends when `quitAfterEofMs` runs out after the input ends, or on abort.
 */
export async function rawListenUdp(options: RawListenOptions): Promise<RawStats> {
  const socket = await bindUdp({ host: options.host, port: options.port });
  const bound = socket.address();
  options.onListening?.({ address: bound.address, port: bound.port });
  const io = openRawIo(options);
  const session = new RawSession(options.progress);
  try {
    await relayDatagrams(socket, {
      io,
      session,
      quitAfterEofMs: options.quitAfterEofMs,
      signal: options.signal,
      connected: false,
      onPeer: options.onConnection,
      describeSendError: (err, peer) =>
        new RocketError(
          'ROCKET_ERR_IO',
          `Cannot send to ${formatHostPort(peer?.address ?? '?', peer?.port ?? 0)} (udp): ${describeLostPeer(err)}`,
          { cause: err },
        ),
      describeSocketError: (err) =>
        new RocketError(
          'ROCKET_ERR_IO',
          `Cannot receive on port ${bound.port} (udp): ${describeLostPeer(err)}`,
          {
            cause: err,
          },
        ),
    });
  } finally {
    socket.close();
    session.stop(true);
    await io.close();
  }
  return session.stop(true);
}

interface DatagramRelayOptions {
  io: RawIo;
  session: RawSession;
  quitAfterEofMs?: number;
  signal?: AbortSignal;
  /** A connected socket sends without an address; otherwise replies go to the last sender. */
  connected: boolean;
  onPeer?: (peer: RawPeer) => void;
  describeSendError: (err: Error, peer: RawPeer | undefined) => RocketError;
  describeSocketError: (err: Error) => RocketError;
}

/**
 * Input to datagrams and datagrams to output. Backpressure on the sending side comes from
 * the send callbacks (input pauses while more than 1 MiB waits); on the receiving side there
 * is none to give, so the output backlog is capped instead.
 */
function relayDatagrams(socket: dgram.Socket, options: DatagramRelayOptions): Promise<void> {
  const { input, output } = options.io;
  const { session } = options;
  const { counters } = session;
  return new Promise<void>((resolve, reject) => {
    let peer: dgram.RemoteInfo | undefined;
    let pendingBytes = 0;
    let inputStarted = false;
    let inputEnded = false;
    let quitTimer: NodeJS.Timeout | undefined;
    let settled = false;

    const onSent = (err: Error | null, bytes: number): void => {
      pendingBytes -= bytes;
      if (settled) return; // sends still in flight when we stopped: nothing to resume
      if (err) {
        fail(options.describeSendError(err, peer && peerOf(peer.address, peer.port)));
        return;
      }
      counters.bytesSent += bytes;
      if (pendingBytes > 0) return;
      if (inputEnded) startQuitTimer();
      else input.resume();
    };
    const onInputData = (chunk: Buffer): void => {
      const to = peer; // input only flows once there is a peer (or the socket is connected)
      for (let offset = 0; offset < chunk.length; offset += MAX_DATAGRAM_BYTES) {
        // subarray shares memory: splitting costs no copy.
        const piece = chunk.subarray(offset, offset + MAX_DATAGRAM_BYTES);
        const done = (err: Error | null): void => onSent(err, piece.length);
        pendingBytes += piece.length;
        if (to === undefined) socket.send(piece, done);
        else socket.send(piece, to.port, to.address, done);
      }
      if (pendingBytes > SEND_QUEUE_HIGH_BYTES) input.pause();
    };
    const onInputEnd = (): void => {
      inputEnded = true;
      if (pendingBytes === 0) startQuitTimer();
    };
    const onInputError = (err: Error): void => {
      fail(new RocketError('ROCKET_ERR_IO', `Cannot read input: ${err.message}`, { cause: err }));
    };
    const onMessage = (message: Buffer, from: dgram.RemoteInfo): void => {
      if (output.writableLength > OUTPUT_BACKLOG_CAP_BYTES) session.datagramsDropped++;
      else {
        counters.bytesReceived += message.length;
        output.write(message);
      }
      if (options.connected || (peer && peer.address === from.address && peer.port === from.port)) return;
      peer = from;
      options.onPeer?.(peerOf(from.address, from.port));
      startInput();
    };
    const onSocketError = (err: Error): void => {
      fail(options.describeSocketError(err));
    };
    const onOutputError = (err: NodeJS.ErrnoException): void => {
      if (isOutputGone(err)) finish();
      else fail(new RocketError('ROCKET_ERR_IO', `Cannot write output: ${err.message}`, { cause: err }));
    };
    const onOutputClose = (): void => finish();
    const onAbort = (): void => finish();

    function startInput(): void {
      if (inputStarted) return;
      inputStarted = true;
      if (input.readableEnded || input.destroyed) {
        onInputEnd();
        return;
      }
      input.on('data', onInputData);
      input.on('end', onInputEnd);
      input.on('error', onInputError);
      input.resume();
    }

    function startQuitTimer(): void {
      if (options.quitAfterEofMs === undefined || quitTimer) return;
      quitTimer = setTimeout(finish, options.quitAfterEofMs);
    }

    function detach(): void {
      clearTimeout(quitTimer);
      input.off('data', onInputData);
      input.off('end', onInputEnd);
      input.off('error', onInputError);
      input.pause();
      socket.off('message', onMessage);
      socket.off('error', onSocketError);
      socket.on('error', ignore);
      output.off('error', onOutputError);
      output.off('close', onOutputClose);
      options.signal?.removeEventListener('abort', onAbort);
    }

    function finish(): void {
      if (settled) return;
      settled = true;
      detach();
      waitForOutput(output).then(resolve, reject);
    }

    function fail(err: RocketError): void {
      if (settled) return;
      settled = true;
      detach();
      reject(err);
    }

    socket.on('message', onMessage);
    socket.on('error', onSocketError);
    output.on('error', onOutputError);
    output.on('close', onOutputClose);
    if (options.signal?.aborted) {
      finish();
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.connected) startInput();
  });
}

function ignore(): void {}
