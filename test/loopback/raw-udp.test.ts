import dgram from 'node:dgram';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  MAX_DATAGRAM_BYTES,
  type RawListenOptions,
  type RawPeer,
  type RawStats,
  rawConnect,
  rawListen,
} from '../../src/raw/index.js';
import { ByteSink, payloadStream, randomPayload } from '../helpers/raw-streams.js';
import { waitUntil } from '../helpers/wait.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A plain UDP socket on 127.0.0.1:0 that records what it receives, like nc -u. */
async function udpPeer() {
  const socket = dgram.createSocket('udp4');
  const datagrams: Buffer[] = [];
  socket.on('message', (message) => {
    datagrams.push(message);
    socket.emit('got');
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  cleanups.push(() => socket.close());
  const waitFor = (count: number) =>
    waitUntil(
      socket,
      'got',
      () => datagrams.length >= count,
      5000,
      `${count} datagrams (have ${datagrams.length})`,
    );
  return { socket, datagrams, port: (socket.address() as AddressInfo).port, waitFor };
}

async function startUdpListen(options: Partial<RawListenOptions>) {
  const peers: RawPeer[] = [];
  const events = new PassThrough();
  const controller = new AbortController();
  let onBound!: (port: number) => void;
  const bound = new Promise<number>((resolve) => {
    onBound = resolve;
  });
  const done: Promise<RawStats> = rawListen({
    udp: true,
    host: '127.0.0.1',
    port: 0,
    signal: controller.signal,
    onListening: ({ port }) => onBound(port),
    onConnection: (peer) => {
      peers.push(peer);
      events.emit('peer');
    },
    ...options,
  });
  done.catch(() => {});
  cleanups.push(async () => {
    controller.abort();
    await done.catch(() => {});
  });
  const port = await bound;
  const waitForPeers = (count: number) =>
    waitUntil(events, 'peer', () => peers.length >= count, 5000, `${count} peers`);
  return { port, done, peers, waitForPeers };
}

describe('raw UDP', () => {
  it('carries datagrams both ways between rawConnect and rawListen', async () => {
    const listenInput = new PassThrough();
    const listenOutput = new ByteSink();
    const listener = await startUdpListen({ input: listenInput, output: listenOutput });
    const connectInput = new PassThrough();
    const connectOutput = new ByteSink();
    const controller = new AbortController();
    const connected = rawConnect({
      udp: true,
      host: '127.0.0.1',
      port: listener.port,
      input: connectInput,
      output: connectOutput,
      signal: controller.signal,
    });
    connectInput.write('hello\n');
    await listenOutput.waitForText('hello\n');
    await listener.waitForPeers(1);
    expect(listener.peers[0]!.address).toBe('127.0.0.1');
    listenInput.write('back\n'); // goes to the last peer heard from
    await connectOutput.waitForText('back\n');
    controller.abort();
    expect(await connected).toMatchObject({ bytesSent: 6, bytesReceived: 5, datagramsDropped: 0 });
  });

  it(`splits input into datagrams of at most ${MAX_DATAGRAM_BYTES} bytes`, async () => {
    const peer = await udpPeer();
    const payload = randomPayload(2 * MAX_DATAGRAM_BYTES + 1000);
    const input = new PassThrough();
    const connected = rawConnect({
      udp: true,
      host: '127.0.0.1',
      port: peer.port,
      input,
      output: new ByteSink(),
      quitAfterEofMs: 0,
    });
    input.end(payload); // one chunk, three datagrams
    await peer.waitFor(3);
    expect(peer.datagrams.map((d) => d.length)).toEqual([MAX_DATAGRAM_BYTES, MAX_DATAGRAM_BYTES, 1000]);
    expect(Buffer.concat(peer.datagrams).equals(payload)).toBe(true);
    expect((await connected).bytesSent).toBe(payload.length);
  });

  it('rawListen holds input back until a peer turns up, then answers the last one', async () => {
    const input = new PassThrough();
    input.write('first');
    const output = new ByteSink();
    const listener = await startUdpListen({ input, output });
    const a = await udpPeer();
    const b = await udpPeer();
    a.socket.send('from a', listener.port, '127.0.0.1');
    await a.waitFor(1); // what was waiting in the input goes to the first peer
    expect(a.datagrams[0]!.toString()).toBe('first');
    b.socket.send('from b', listener.port, '127.0.0.1');
    await listener.waitForPeers(2);
    input.write('second');
    await b.waitFor(1);
    expect(b.datagrams[0]!.toString()).toBe('second');
    expect(output.text()).toBe('from afrom b');
    expect(listener.peers.map((p) => p.port)).toEqual([a.port, b.port]);
  });

  it('reports nobody listening when the port answers with ICMP unreachable', async () => {
    const closed = dgram.createSocket('udp4');
    closed.bind(0, '127.0.0.1');
    await once(closed, 'listening');
    const { port } = closed.address();
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const input = new PassThrough();
    const connected = rawConnect({ udp: true, host: '127.0.0.1', port, input, output: new ByteSink() });
    input.write('anyone?');
    await expect(connected).rejects.toMatchObject({
      code: 'ROCKET_ERR_REFUSED',
      message: `Cannot connect to 127.0.0.1:${port} (udp): nobody is listening on 127.0.0.1:${port}`,
    });
  });

  it('quitAfterEofMs ends a UDP transfer after the input ends', async () => {
    const peer = await udpPeer();
    const stats = await rawConnect({
      udp: true,
      host: '127.0.0.1',
      port: peer.port,
      input: payloadStream(Buffer.from('one shot')),
      output: new ByteSink(),
      quitAfterEofMs: 20,
    });
    expect(stats.bytesSent).toBe(8);
    await peer.waitFor(1);
  });
});
