import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { directWriter } from '../../src/transport/fd-writer.js';
import { adoptWithReadBuffer, lenderOf, ReadBufferLender } from '../../src/transport/read-buffer.js';
import { randomPayload, readAll, sha256 } from '../helpers/raw-streams.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listen(server: net.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as net.AddressInfo).port;
}

async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  cleanups.push(() => socket.destroy());
  return socket;
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function connectionCount(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
  );
}

/**
 * A forwarder like the raw relay: bytes from an accepted connection (read into a lent buffer)
 * go on to a sink through directWriter, pausing on backpressure. The sink does not read at
 * first, so the writer meets a full socket (EAGAIN, short writes) before anything drains.
 */
describe('bulk forwarding: adopted read buffer + direct writes', () => {
  it('forwards 16 MiB intact through a sink that stalls, and the server still counts its connection', async () => {
    const payload = randomPayload(16 * 1024 * 1024);

    const sinkAccepted = deferred<net.Socket>();
    const sinkServer = net.createServer({ pauseOnConnect: true }, (socket) => sinkAccepted.resolve(socket));
    const sinkPort = await listen(sinkServer);
    const upstream = await connect(sinkPort);
    const sinkSocket = await sinkAccepted.promise;

    const write = directWriter(upstream);
    const backedUp = deferred<void>();
    const adoptedReady = deferred<net.Socket>();
    const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (accepted) => {
      const lender = new ReadBufferLender(256 * 1024);
      const socket = adoptWithReadBuffer(accepted, lender, { allowHalfOpen: true });
      lender.lendTo(upstream);
      socket.on('data', (chunk: Buffer) => {
        if (write(chunk)) return;
        socket.pause();
        backedUp.resolve();
      });
      upstream.on('drain', () => socket.resume());
      socket.on('end', () => upstream.end());
      socket.resume();
      adoptedReady.resolve(socket);
    });
    const port = await listen(server);

    const client = await connect(port);
    client.end(payload);
    const adopted = await adoptedReady.promise;
    expect(lenderOf(adopted)).toBeDefined(); // the lent buffer is in use, not Node's own
    expect(await connectionCount(server)).toBe(1); // the discarded wrapper is not counted twice

    // Only once the forwarder is backed up does the sink start reading.
    await backedUp.promise;
    expect(upstream.writableLength).toBeGreaterThan(0); // the kernel took part; the rest is queued
    const received = await readAll(sinkSocket.resume());
    expect(received.length).toBe(payload.length);
    expect(sha256(received)).toBe(sha256(payload));

    adopted.destroy();
    await once(adopted, 'close');
    expect(await connectionCount(server)).toBe(0);
  });

  it('leaves a socket that has already read as it is', async () => {
    const accepted = deferred<net.Socket>();
    const server = net.createServer((socket) => accepted.resolve(socket));
    const port = await listen(server);
    const client = await connect(port);
    client.write('x');
    const socket = await accepted.promise;
    await once(socket, 'data');
    const lender = new ReadBufferLender(1024);
    expect(adoptWithReadBuffer(socket, lender, { allowHalfOpen: false })).toBe(socket);
    socket.destroy();
  });

  it('falls back to stream.write for a stream without a descriptor', async () => {
    const { PassThrough } = await import('node:stream');
    const pass = new PassThrough();
    const write = directWriter(pass);
    write(Buffer.from('one '));
    write(Buffer.from('two'));
    pass.end();
    expect((await readAll(pass)).toString()).toBe('one two');
  });
});
