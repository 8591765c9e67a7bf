import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { Readable, Writable } from 'node:stream';
import { waitUntil } from './wait.js';

/**
 * Streams for raw-mode tests: random payloads fed in chunks, and a sink that hashes what it
 * receives (and keeps it, when small) with waits that end on an event, never on a sleep.
 */

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function randomPayload(bytes: number): Buffer {
  return randomBytes(bytes);
}

/** A byte stream over `data`, `chunkBytes` at a time, honouring backpressure. */
export function payloadStream(data: Buffer, chunkBytes = 64 * 1024): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= data.length) {
        this.push(null);
        return;
      }
      const end = Math.min(offset + chunkBytes, data.length);
      this.push(data.subarray(offset, end));
      offset = end;
    },
  });
}

/** A writable that hashes everything and keeps it unless told not to (20 MB is fine to keep). */
export class ByteSink extends Writable {
  bytes = 0;
  private readonly hash = createHash('sha256');
  private readonly chunks: Buffer[] = [];

  constructor(private readonly keep = true) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (this.keep) this.chunks.push(Buffer.from(chunk));
    this.emit('bytes');
    callback();
  }

  /** The sha256 of everything written; call once, after the end. */
  digest(): string {
    return this.hash.digest('hex');
  }

  data(): Buffer {
    return Buffer.concat(this.chunks);
  }

  text(): string {
    return this.data().toString('latin1');
  }

  waitForBytes(count: number, timeoutMs = 5000): Promise<void> {
    return waitUntil(
      this,
      'bytes',
      () => this.bytes >= count,
      timeoutMs,
      `${count} bytes (have ${this.bytes})`,
    );
  }

  waitForText(text: string, timeoutMs = 5000): Promise<void> {
    return waitUntil(
      this,
      'bytes',
      () => this.text().includes(text),
      timeoutMs,
      `"${text}" (have "${this.text()}")`,
    );
  }
}

/** A TCP server on 127.0.0.1:0 that allows half-open connections; closed by the returned close(). */
export async function tcpServer(
  onConnection: (socket: net.Socket) => void,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnection(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Connects a plain half-open-capable client, the way nc would. */
export async function tcpClient(port: number): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  await once(socket, 'connect');
  return socket;
}

/**
 * Reads a stream to its end and returns everything. Not `for await`, which destroys the
 * stream at the end: a half-closed socket must stay open for the reply.
 */
export function readAll(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

/** A port that was free a moment ago and has nobody listening: for "connection refused" cases only. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
