import type net from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { RocketError } from '../errors.js';
import { directWriter } from './fd-writer.js';
import { lenderOf } from './read-buffer.js';
import { describeLostPeer } from './socket-errors.js';

/**
 * Byte counters the relay bumps on the hot path. A plain object with two numbers, so the
 * progress line can read it from a timer without the relay doing any extra work per chunk.
 */
export interface RelayCounters {
  bytesSent: number;
  bytesReceived: number;
}

export interface RelayOptions {
  /** Bytes for the peer. May already be at its end (e.g. the second connection of nc -k). */
  input: Readable;
  /** Where the peer's bytes go. The relay never ends it: the caller may reuse it. */
  output: Writable;
  counters: RelayCounters;
  /** "host:port" of the peer, for error messages. */
  peerLabel: string;
  /** Once our FIN is out, wait at most this long for the peer's (nc -q); default: no limit. */
  quitAfterEofMs?: number;
  /** Stop as soon as the peer's FIN arrives instead of sending the rest of the input. */
  exitOnPeerEnd?: boolean;
  signal?: AbortSignal;
}

/**
 * Why a relay ended without an error:
 * - `done`: both directions finished (our FIN sent, the peer's FIN received);
 * - `quit`: quitAfterEofMs ran out after our FIN;
 * - `peer-ended`: the peer's FIN arrived and exitOnPeerEnd was set;
 * - `output-closed`: the output went away (EPIPE, e.g. `| head -c 10`): nobody wants more;
 * - `aborted`: the signal fired, or the socket was destroyed from outside.
 */
export type RelayEnd = 'done' | 'quit' | 'peer-ended' | 'output-closed' | 'aborted';

/**
 * Pumps `input` into a connected TCP socket and the socket into `output`, both with
 * backpressure: a `write()` that returns false pauses the side that feeds it until
 * `'drain'`. The end of the connection follows nc's readwrite(): the end of input becomes
 * our FIN (`socket.end()`) while reading carries on, and the relay is over when both
 * directions are done. The socket must allow half-open connections (`allowHalfOpen`),
 * or Node would answer the peer's FIN with ours and cut the rest of the input.
 *
 * Resolves once the socket is closed and everything received has been handed to `output`
 * (so a caller may exit right away); rejects with a RocketError when the peer resets the
 * connection before our input was all sent, or when input or output fail.
 */
export function relaySocket(socket: net.Socket, options: RelayOptions): Promise<RelayEnd> {
  const { input, output, counters } = options;
  return new Promise<RelayEnd>((resolve, reject) => {
    let sent = false; // our FIN is out: every input byte was handed to the kernel
    let peerEnded = false; // the peer's FIN arrived (after all its data was passed on)
    let settled = false;
    let quitTimer: NodeJS.Timeout | undefined;
    // Over TLS our end is a close_notify, which socat, ncat --send-only and openssl s_client
    // take for the end of the whole connection: they stop sending, or reset it, and what
    // they had not sent yet is lost. So over TLS a side that had nothing to send (a receiver,
    // `rocket listen --raw --tls < /dev/null`) waits for the peer's end before it ends; a side
    // that sent something ends when its input does, since its end is what the peer waits for.
    const endWaitsForPeer = (socket as { encrypted?: boolean }).encrypted === true;
    let inputDone = false;
    let sentAnything = false;

    // Straight to the file descriptor when nothing is queued (see directWriter).
    const writeToSocket = directWriter(socket);
    const writeToOutput = directWriter(output);

    const onInputData = (chunk: Buffer): void => {
      sentAnything = true;
      counters.bytesSent += chunk.length;
      if (!writeToSocket(chunk)) input.pause();
    };
    const onSocketDrain = (): void => {
      input.resume();
    };
    const onInputEnd = (): void => {
      inputDone = true;
      if (!endWaitsForPeer || peerEnded || sentAnything) {
        socket.end();
        return;
      }
      // -q counts from the end of our input here, since our end itself waits.
      if (options.quitAfterEofMs !== undefined)
        quitTimer = setTimeout(() => finish('quit'), options.quitAfterEofMs);
    };
    const onInputError = (err: Error): void => {
      fail(new RocketError('ROCKET_ERR_IO', `Cannot read input: ${err.message}`, { cause: err }));
    };
    const onSocketFinish = (): void => {
      sent = true;
      if (peerEnded) {
        finish('done');
      } else if (options.quitAfterEofMs !== undefined) {
        // Started at our FIN rather than at input EOF, so -q never cuts our own data short.
        quitTimer = setTimeout(() => finish('quit'), options.quitAfterEofMs);
      }
    };

    const onSocketData = (chunk: Buffer): void => {
      counters.bytesReceived += chunk.length;
      if (!writeToOutput(chunk)) socket.pause();
    };
    const onOutputDrain = (): void => {
      socket.resume();
    };
    const onSocketEnd = (): void => {
      peerEnded = true;
      if (endWaitsForPeer && inputDone && !sent) {
        socket.end(); // the held-back end (see endWaitsForPeer); 'finish' then ends the relay
        return;
      }
      if (sent) finish('done');
      else if (options.exitOnPeerEnd) finish('peer-ended');
      // Otherwise keep sending: the peer only closed its sending half, and may still read.
    };
    const onSocketError = (err: Error): void => {
      // All our bytes are out, so a reset loses nothing we were asked to send; servers that
      // reply and close without reading everything cause exactly this. nc is silent here too.
      if (sent && isResetLike(err)) {
        finish('done');
        return;
      }
      const message = `Connection to ${options.peerLabel} lost: ${describeLostPeer(err)}`;
      fail(new RocketError('ROCKET_ERR_CONNECTION_LOST', message, { cause: err }));
    };
    const onSocketClose = (): void => {
      finish('aborted');
    };
    const onOutputError = (err: NodeJS.ErrnoException): void => {
      if (isOutputGone(err)) finish('output-closed');
      else fail(new RocketError('ROCKET_ERR_IO', `Cannot write output: ${err.message}`, { cause: err }));
    };
    const onOutputClose = (): void => {
      finish('output-closed');
    };
    const onAbort = (): void => {
      finish('aborted');
    };

    function detach(): void {
      clearTimeout(quitTimer);
      input.off('data', onInputData);
      input.off('end', onInputEnd);
      input.off('error', onInputError);
      // Leave the input paused, not destroyed: nc -k hands what is left to the next connection,
      // and a paused stdin no longer keeps the process alive.
      input.pause();
      socket.off('drain', onSocketDrain);
      socket.off('finish', onSocketFinish);
      socket.off('data', onSocketData);
      socket.off('end', onSocketEnd);
      socket.off('error', onSocketError);
      socket.off('close', onSocketClose);
      output.off('drain', onOutputDrain);
      output.off('error', onOutputError);
      output.off('close', onOutputClose);
      options.signal?.removeEventListener('abort', onAbort);
      lenderOf(input)?.lendTo(undefined);
      lenderOf(socket)?.lendTo(undefined);
      // Late errors from a socket we are about to destroy are of no interest.
      socket.on('error', ignore);
      socket.destroy();
    }

    function finish(end: RelayEnd): void {
      if (settled) return;
      settled = true;
      detach();
      if (end === 'output-closed') resolve(end);
      else waitForOutput(output).then(() => resolve(end), reject);
    }

    function fail(err: RocketError): void {
      if (settled) return;
      settled = true;
      detach();
      reject(err);
    }

    socket.on('drain', onSocketDrain);
    socket.on('finish', onSocketFinish);
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    output.on('drain', onOutputDrain);
    output.on('error', onOutputError);
    output.on('close', onOutputClose);
    if (options.signal?.aborted) {
      finish('aborted');
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    // Readers with a reused buffer must know who holds their chunks (see ReadBufferLender).
    lenderOf(input)?.lendTo(socket);
    lenderOf(socket)?.lendTo(output);
    // A socket accepted with pauseOnConnect (queued by nc -k style listeners) stays paused
    // until told otherwise; a 'data' listener is not enough.
    socket.resume();
    if (input.readableEnded || input.destroyed) {
      // An earlier connection already read the input to its end.
      socket.end();
    } else {
      input.on('data', onInputData);
      input.on('end', onInputEnd);
      input.on('error', onInputError);
      // A 'data' listener alone does not restart a stream that an earlier relay paused.
      input.resume();
    }
  });
}

/**
 * Resolves once `output` has taken everything written to it (no pending `'drain'`), so the
 * process may exit without losing the tail of the data; also resolves if it is gone.
 */
export function waitForOutput(output: Writable): Promise<void> {
  if (!output.writableNeedDrain || output.destroyed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const detach = (): void => {
      output.off('drain', done);
      output.off('close', done);
      output.off('error', onError);
    };
    const done = (): void => {
      detach();
      resolve();
    };
    const onError = (err: NodeJS.ErrnoException): void => {
      detach();
      if (isOutputGone(err)) resolve();
      else reject(new RocketError('ROCKET_ERR_IO', `Cannot write output: ${err.message}`, { cause: err }));
    };
    output.on('drain', done);
    output.on('close', done);
    output.on('error', onError);
  });
}

/** EPIPE and friends: the reader of our output went away, which ends the output, not an error. */
export function isOutputGone(err: NodeJS.ErrnoException): boolean {
  return (
    err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED' || err.code === 'ERR_STREAM_WRITE_AFTER_END'
  );
}

function isResetLike(err: NodeJS.ErrnoException): boolean {
  return err.code === 'ECONNRESET' || err.code === 'EPIPE';
}

function ignore(): void {}
