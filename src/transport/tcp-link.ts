import type { Socket } from 'node:net';
import { remoteLabel } from './tcp.js';
import type { Link } from './types.js';

/**
 * Sockets written to in this event-loop turn. They are corked on their first write and
 * uncorked together once the turn's I/O is done, so a burst of broadcasts reaches each
 * client as one writev() instead of one syscall per line.
 */
const corked = new Set<Socket>();
let flushScheduled = false;

/** Below this much queued output a link takes more without waiting. */
const DRAINED_BYTES = 1024 * 1024;

function flushCorked(): void {
  flushScheduled = false;
  for (const socket of corked) socket.uncork();
  corked.clear();
}

/** Wraps an accepted or connected TCP socket as a Link. */
export function createTcpLink(socket: Socket): Link {
  const label = remoteLabel(socket);
  return {
    label,
    write(data: Buffer, onWritten?: (err?: Error | null) => void): void {
      if (socket.destroyed || socket.writableEnded) {
        onWritten?.(new Error('connection closed'));
        return;
      }
      if (!corked.has(socket)) {
        socket.cork();
        corked.add(socket);
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flushCorked);
        }
      }
      socket.write(data, onWritten);
    },
    whenDrained(): Promise<void> {
      if (socket.writableLength < DRAINED_BYTES || socket.destroyed) return Promise.resolve();
      return new Promise((resolve) => {
        const done = (): void => {
          socket.off('drain', done);
          socket.off('close', done);
          resolve();
        };
        socket.on('drain', done);
        socket.on('close', done);
      });
    },
    get queuedBytes(): number {
      return socket.writableLength;
    },
    end(): void {
      if (corked.delete(socket)) socket.uncork();
      if (!socket.destroyed && !socket.writableEnded) socket.end();
    },
    pauseReading(): void {
      socket.pause();
    },
    resumeReading(): void {
      if (!socket.destroyed) socket.resume();
    },
    destroy(): void {
      corked.delete(socket);
      socket.destroy();
    },
  };
}
