import { once } from 'node:events';
import net from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  formatBytes,
  type RawListenOptions,
  type RawPeer,
  type RawStats,
  rawConnect,
  rawListen,
} from '../../src/raw/index.js';
import {
  ByteSink,
  closedPort,
  payloadStream,
  randomPayload,
  readAll,
  sha256,
  tcpClient,
  tcpServer,
} from '../helpers/raw-streams.js';
import { waitUntil } from '../helpers/wait.js';

const MB = 1024 * 1024;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** rawListen on 127.0.0.1:0; resolves once bound. Aborted after the test if still running. */
async function startListen(options: Partial<RawListenOptions> = {}) {
  const controller = new AbortController();
  const peers: RawPeer[] = [];
  const events = new PassThrough(); // only used as an event emitter for 'connection'
  let onBound!: (port: number) => void;
  const bound = new Promise<number>((resolve) => {
    onBound = resolve;
  });
  const done: Promise<RawStats> = rawListen({
    host: '127.0.0.1',
    port: 0,
    input: payloadStream(Buffer.alloc(0)),
    output: new ByteSink(),
    signal: controller.signal,
    onListening: ({ port }) => onBound(port),
    onConnection: (peer) => {
      peers.push(peer);
      events.emit('connection');
    },
    ...options,
  });
  done.catch(() => {}); // a test that expects a rejection awaits it itself
  cleanups.push(async () => {
    controller.abort();
    await done.catch(() => {});
  });
  const port = await Promise.race([
    bound,
    done.then(() => {
      throw new Error('rawListen ended before listening');
    }),
  ]);
  const connections = (count: number) =>
    waitUntil(events, 'connection', () => peers.length >= count, 5000, `${count} connections`);
  return { port, done, peers, abort: () => controller.abort(), events, connections };
}

describe('raw TCP', () => {
  it('rawConnect sends 20 MB to rawListen byte for byte', async () => {
    const payload = randomPayload(20 * MB);
    const received = new ByteSink(false);
    const listener = await startListen({ output: received });
    const stats = await rawConnect({
      host: '127.0.0.1',
      port: listener.port,
      input: payloadStream(payload),
      output: new ByteSink(),
    });
    const listenStats = await listener.done;
    expect(received.digest()).toBe(sha256(payload));
    expect(stats).toMatchObject({ bytesSent: payload.length, bytesReceived: 0 });
    expect(listenStats).toMatchObject({ bytesSent: 0, bytesReceived: payload.length });
  });

  it('rawListen sends 20 MB to rawConnect byte for byte', async () => {
    const payload = randomPayload(20 * MB);
    const received = new ByteSink(false);
    const listener = await startListen({ input: payloadStream(payload, 256 * 1024) });
    const stats = await rawConnect({
      host: '127.0.0.1',
      port: listener.port,
      input: payloadStream(Buffer.alloc(0)),
      output: received,
    });
    await listener.done;
    expect(received.digest()).toBe(sha256(payload));
    expect(stats.bytesReceived).toBe(payload.length);
  });

  it('moves 20 MB each way at the same time', async () => {
    const up = randomPayload(20 * MB);
    const down = randomPayload(20 * MB);
    const atListener = new ByteSink(false);
    const atClient = new ByteSink(false);
    const listener = await startListen({ input: payloadStream(down), output: atListener });
    await rawConnect({ host: '127.0.0.1', port: listener.port, input: payloadStream(up), output: atClient });
    await listener.done;
    expect(atListener.digest()).toBe(sha256(up));
    expect(atClient.digest()).toBe(sha256(down));
  });

  it('stays byte for byte when the output is a slow socket (reused read buffers)', async () => {
    // A socket output lets rawConnect read into a reused buffer; a reader that keeps stalling
    // makes writes queue up, which must move reading to a fresh buffer, never overwrite one.
    const payload = randomPayload(20 * MB);
    const source = await tcpServer((socket) => {
      const stream = payloadStream(payload, 100_003);
      stream.pipe(socket);
    });
    cleanups.push(source.close);
    const received = new ByteSink(false);
    const sink = await tcpServer((socket) => {
      let sinceStall = 0;
      socket.on('data', (chunk: Buffer) => {
        received.write(chunk);
        sinceStall += chunk.length;
        if (sinceStall < MB) return;
        sinceStall = 0;
        socket.pause();
        setImmediate(() => socket.resume());
      });
      socket.on('end', () => received.end());
    });
    cleanups.push(sink.close);
    const output = await tcpClient(sink.port);
    const finished = once(received, 'finish');
    const stats = await rawConnect({
      host: '127.0.0.1',
      port: source.port,
      input: new PassThrough().end(),
      output,
    });
    await finished;
    expect(stats.bytesReceived).toBe(payload.length);
    expect(received.digest()).toBe(sha256(payload));
  });

  it('rawConnect reads the reply after half-closing its request', async () => {
    const reply = randomPayload(MB);
    let request = '';
    const server = await tcpServer(async (socket) => {
      // Like an HTTP/1.0 server reading to EOF: it answers only once our FIN has arrived.
      request = (await readAll(socket)).toString('latin1');
      socket.end(reply);
    });
    cleanups.push(server.close);
    const output = new ByteSink();
    const stats = await rawConnect({
      host: '127.0.0.1',
      port: server.port,
      input: payloadStream(Buffer.from('GET / HTTP/1.0\r\n\r\n')),
      output,
    });
    expect(request).toBe('GET / HTTP/1.0\r\n\r\n');
    expect(output.data().equals(reply)).toBe(true);
    expect(stats).toMatchObject({ bytesSent: 18, bytesReceived: reply.length });
  });

  it('rawListen keeps sending after the peer half-closes', async () => {
    const payload = randomPayload(5 * MB);
    const output = new ByteSink();
    const listener = await startListen({ input: payloadStream(payload), output });
    const client = await tcpClient(listener.port);
    client.end('hello'); // our FIN goes first; the listener's data must still all arrive
    const got = await readAll(client);
    await listener.done;
    expect(sha256(got)).toBe(sha256(payload));
    expect(output.text()).toBe('hello');
  });

  it('quitAfterEofMs ends the transfer when the peer never closes', async () => {
    const server = await tcpServer((socket) => socket.write('still here'));
    cleanups.push(server.close);
    const output = new ByteSink();
    const stats = await rawConnect({
      host: '127.0.0.1',
      port: server.port,
      input: payloadStream(Buffer.from('ping')),
      output,
      quitAfterEofMs: 50,
    });
    expect(stats.bytesSent).toBe(4);
  });

  it('rawListen closes the port once its one connection arrives, like nc -l', async () => {
    const listener = await startListen({ input: new PassThrough() });
    const first = await tcpClient(listener.port);
    cleanups.push(() => first.destroy());
    await listener.connections(1);
    const second = net.connect({ host: '127.0.0.1', port: listener.port });
    const [err] = await once(second, 'error');
    expect((err as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('keepOpen serves connections one after another, queueing the ones that arrive meanwhile', async () => {
    const output = new ByteSink();
    const listener = await startListen({
      keepOpen: true,
      output,
      input: payloadStream(Buffer.from('greeting')),
    });
    const a = await tcpClient(listener.port);
    a.write('A1');
    await output.waitForText('A1');
    const b = await tcpClient(listener.port); // queued behind a
    b.end('B1');
    const bGot = readAll(b);
    a.end('A2');
    const aGot = await readAll(a);
    await output.waitForText('A1A2B1');
    expect(aGot.toString()).toBe('greeting'); // the input goes to the first connection...
    expect((await bGot).toString()).toBe(''); // ...and is used up after it
    listener.abort();
    expect(await listener.done).toMatchObject({ bytesSent: 8, bytesReceived: 6 });
    expect(listener.peers).toHaveLength(2);
    expect(listener.peers[0]!.address).toBe('127.0.0.1');
  });

  it('keepOpen reports a reset connection and serves the next one', async () => {
    const errors: Error[] = [];
    const output = new ByteSink();
    const listener = await startListen({
      keepOpen: true,
      output,
      input: new PassThrough(), // never ends, so the reset interrupts an open transfer
      onConnectionError: (err) => {
        errors.push(err);
        listener.events.emit('failed');
      },
    });
    const failed = once(listener.events, 'failed');
    const a = await tcpClient(listener.port);
    a.write('A');
    await output.waitForText('A');
    a.resetAndDestroy();
    await failed;
    expect(errors[0]).toMatchObject({ code: 'ROCKET_ERR_CONNECTION_LOST' });
    expect(errors[0]!.message).toMatch(/^Connection to 127\.0\.0\.1:\d+ lost: connection reset by peer$/);
    const b = await tcpClient(listener.port);
    cleanups.push(() => b.destroy());
    b.write('B');
    await output.waitForText('AB');
  });

  it('a refused connection says nobody is listening', async () => {
    const port = await closedPort();
    await expect(
      rawConnect({ host: '127.0.0.1', port, input: payloadStream(Buffer.alloc(0)) }),
    ).rejects.toMatchObject({
      code: 'ROCKET_ERR_REFUSED',
      message: `Cannot connect to 127.0.0.1:${port} (tcp): nobody is listening on 127.0.0.1:${port}`,
    });
  });

  it('a reset while input is still flowing is an error', async () => {
    const server = await tcpServer((socket) => socket.once('data', () => socket.resetAndDestroy()));
    cleanups.push(server.close);
    const input = new PassThrough();
    input.write('x');
    await expect(
      rawConnect({ host: '127.0.0.1', port: server.port, input, output: new ByteSink() }),
    ).rejects.toMatchObject({
      code: 'ROCKET_ERR_CONNECTION_LOST',
      message: `Connection to 127.0.0.1:${server.port} lost: connection reset by peer`,
    });
  });

  it('a reset after all input was sent is not an error', async () => {
    const server = await tcpServer(async (socket) => {
      await readAll(socket);
      socket.resetAndDestroy();
    });
    cleanups.push(server.close);
    const stats = await rawConnect({
      host: '127.0.0.1',
      port: server.port,
      input: payloadStream(Buffer.from('bye')),
      output: new ByteSink(),
    });
    expect(stats.bytesSent).toBe(3);
  });

  it('an output that breaks (EPIPE) ends the transfer quietly', async () => {
    const server = await tcpServer((socket) => {
      // An endless sender, like `yes`: only our close stops it.
      const chunk = Buffer.alloc(64 * 1024, 'y');
      const pump = (): void => {
        while (!socket.destroyed && socket.write(chunk));
      };
      socket.on('drain', pump);
      pump();
    });
    cleanups.push(server.close);
    const output = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const stats = await rawConnect({
      host: '127.0.0.1',
      port: server.port,
      input: new PassThrough(),
      output,
    });
    expect(stats.bytesReceived).toBeGreaterThan(0);
  });

  it('draws a progress line and a final summary', async () => {
    const server = await tcpServer(async (socket) => {
      await readAll(socket);
      socket.end('pong');
    });
    cleanups.push(server.close);
    const progress = new ByteSink();
    await rawConnect({
      host: '127.0.0.1',
      port: server.port,
      input: payloadStream(Buffer.from('ping!')),
      output: new ByteSink(),
      progress,
    });
    expect(progress.text()).toMatch(
      /\rsent 5 B, received 4 B in \d+\.\d\d s \(\d+(\.\d+)? (B|KiB|MiB)\/s\) *\n$/,
    );
    expect([0, 1023, 1536, 20 * MB, 2.5 * 1024 * MB].map(formatBytes)).toEqual([
      '0 B',
      '1023 B',
      '1.50 KiB',
      '20.0 MiB',
      '2.50 GiB',
    ]);
  });

  it('rawListen resolves with zero counts when aborted before anyone connects', async () => {
    const listener = await startListen();
    listener.abort();
    expect(await listener.done).toMatchObject({ bytesSent: 0, bytesReceived: 0 });
  });
});
