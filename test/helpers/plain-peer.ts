import net from 'node:net';
import { LineLog, onCleanup, type Peer, spawnPeer, textDecoder, type WaitOptions } from './processes.js';

/**
 * A plain TCP peer in the test process itself (what nc or a Python socket program does):
 * writes exactly the bytes it is given and collects the lines it receives, decoded with
 * Node's own TextDecoder in the given encoding. Closed by `cleanupAll`.
 */
export class PlainSocket {
  readonly log: LineLog;
  readonly closed: Promise<void>;

  private constructor(
    readonly socket: net.Socket,
    readonly name: string,
    encoding: string,
  ) {
    this.log = new LineLog(name, textDecoder(encoding));
    socket.on('data', (chunk: Buffer) => this.log.push(chunk));
    socket.on('error', () => {}); // a reset shows up as the end of the log
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.log.end();
        resolve();
      });
    });
  }

  static connect(
    port: number,
    options: { host?: string; encoding?: string; name?: string; timeoutMs?: number } = {},
  ): Promise<PlainSocket> {
    const host = options.host ?? '127.0.0.1';
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host, noDelay: true });
      onCleanup(() => {
        socket.destroy();
      });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connecting to ${host}:${port} timed out`));
      }, options.timeoutMs ?? 5000);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(
          new PlainSocket(socket, options.name ?? `socket to ${host}:${port}`, options.encoding ?? 'utf-8'),
        );
      });
    });
  }

  /** Writes bytes (strings as UTF-8) and resolves when they were handed to the kernel. */
  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.write(data, (err) => (err ? reject(err) : resolve()));
    });
  }

  waitFor(pattern: RegExp, options?: WaitOptions): Promise<string> {
    return this.log.waitFor(pattern, options);
  }

  mark(): number {
    return this.log.mark();
  }
}

/** The room's "*** In the room: ..." line, the second of its greeting: the connection is attached. */
export const IN_THE_ROOM = /^\*\*\* In the room: /;

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** An nc process in a rocket room, renamed to `nick` (it waits for its own rename line). */
export async function joinNc(port: number, nick: string, host = '127.0.0.1'): Promise<Peer> {
  const nc = spawnPeer('nc', [host, String(port)], { name: `nc as ${nick}` });
  await nc.stdout.waitFor(IN_THE_ROOM);
  await nc.write(`/nick ${nick}\n`);
  await nc.stdout.waitFor(new RegExp(`^\\*\\*\\* guest-\\d+ is now known as ${escapeRegExp(nick)}$`));
  return nc;
}

/** A node socket in a rocket room, renamed to `nick`. */
export async function joinSocket(port: number, nick: string, encoding = 'utf-8'): Promise<PlainSocket> {
  const socket = await PlainSocket.connect(port, { encoding, name: `socket as ${nick}` });
  await socket.waitFor(IN_THE_ROOM);
  await socket.write(`/nick ${nick}\n`);
  await socket.waitFor(new RegExp(`is now known as ${escapeRegExp(nick)}$`));
  return socket;
}
