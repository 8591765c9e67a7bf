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
    write(data: Buffer): void {
      if (socket.destroyed || socket.writableEnded) return;
      if (!corked.has(socket)) {
        socket.cork();
        corked.add(socket);
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flushCorked);
        }
      }
      socket.write(data);
    },
    get queuedBytes(): number {
      return socket.writableLength;
    },
    end(): void {
      if (corked.delete(socket)) socket.uncork();
      if (!socket.destroyed && !socket.writableEnded) socket.end();
    },
    destroy(): void {
      corked.delete(socket);
      socket.destroy();
    },
  };
}
