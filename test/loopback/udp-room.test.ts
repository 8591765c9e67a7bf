import dgram from 'node:dgram';
import iconv from 'iconv-lite';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connectUdpChat, type UdpChatClient } from '../../src/client/udp-chat-client.js';
import type { ChatEvent } from '../../src/protocol/events.js';
import { decodeDatagram, encodeDatagram } from '../../src/protocol/udp-wire.js';
import { type RoomServer, startRoomServer } from '../../src/server/room-server.js';
import { waitUntil } from '../helpers/wait.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function udpRoom(peerTimeoutMs?: number, maxPerAddress?: number): Promise<RoomServer> {
  const server = await startRoomServer({
    port: 0,
    host: '127.0.0.1',
    udp: true,
    peerTimeoutMs,
    admission: { maxPerAddress },
  });
  cleanups.push(() => server.close());
  return server;
}

/** A plain UDP peer like nc -u: sends text datagrams, collects what comes back. */
async function plainPeer(port: number, encoding = 'utf-8') {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => socket.close());
  const lines: string[] = [];
  const datagrams: Buffer[] = [];
  socket.on('message', (m) => {
    datagrams.push(m);
    lines.push(
      ...iconv
        .decode(m, encoding)
        .split('\n')
        .filter((l) => l !== ''),
    );
    socket.emit('lines');
  });
  return {
    socket,
    lines,
    datagrams,
    send: (text: string) => socket.send(iconv.encode(text, encoding), port, '127.0.0.1'),
    waitFor: async (pattern: RegExp) => {
      await waitUntil(
        socket,
        'lines',
        () => lines.some((l) => pattern.test(l)),
        5000,
        `a datagram matching ${pattern}`,
      );
      return lines.find((l) => pattern.test(l))!;
    },
  };
}

async function rocketPeer(
  port: number,
  nick: string,
): Promise<{ client: UdpChatClient; events: ChatEvent[] }> {
  const client = await connectUdpChat({ host: '127.0.0.1', port, nick });
  cleanups.push(() => client.destroy());
  const events: ChatEvent[] = [];
  client.on('event', (e) => events.push(e));
  return { client, events };
}

describe('UDP room', () => {
  it('learns a plain peer from its first datagram and answers it at its own address', async () => {
    const server = await udpRoom();
    const a = await plainPeer(server.address.port);
    const b = await plainPeer(server.address.port);
    a.send('hello from a');
    await a.waitFor(/^\*\*\* rocket\/1 .*You are guest-\d+/);
    b.send('/nick bob');
    await a.waitFor(/^\*\*\* bob joined$/);
    b.send('hi a');
    expect(await a.waitFor(/^<bob> hi a$/)).toBe('<bob> hi a');
  });

  it('takes each datagram as a message even without a newline, decoding per peer', async () => {
    const server = await udpRoom();
    const utf8 = await plainPeer(server.address.port);
    const gbk = await plainPeer(server.address.port, 'gbk');
    utf8.send('first');
    await utf8.waitFor(/In the room/);
    gbk.send('/encoding gbk');
    await gbk.waitFor(/now reads and writes gbk/);
    gbk.send('你好');
    await utf8.waitFor(/> 你好$/);
    utf8.send('佩奇');
    await gbk.waitFor(/> 佩奇$/);
  });

  it('upgrades a rocket client, which then talks with its nick and gets acknowledgements', async () => {
    const server = await udpRoom();
    const watcher = await plainPeer(server.address.port);
    watcher.send('/nick watcher');
    await watcher.waitFor(/In the room/);
    const { client, events } = await rocketPeer(server.address.port, 'peppa');
    client.say('hello over udp');
    await watcher.waitFor(/^<peppa> hello over udp$/);
    await waitUntil(client, 'mode', () => client.mode === 'rocket', 5000, 'rocket mode');
    expect(events.find((e) => e.type === 'welcome')).toMatchObject({ nick: 'peppa' });
    client.say('second');
    await watcher.waitFor(/^<peppa> second$/);
    watcher.send('hi peppa');
    await waitUntil(client, 'event', () => events.some((e) => e.type === 'message' && e.text === 'hi peppa'));
    await client.finish();
    await watcher.waitFor(/^\*\*\* peppa left/);
  });

  it('says a retransmitted message only once, and acknowledges it again', async () => {
    const server = await udpRoom();
    const watcher = await plainPeer(server.address.port);
    watcher.send('/nick watcher');
    await watcher.waitFor(/In the room/);
    const rocket = dgram.createSocket('udp4');
    cleanups.push(() => rocket.close());
    const acks: string[] = [];
    rocket.on('message', (m) => {
      const value = decodeDatagram(m);
      if (value?.type === 'ack') acks.push(String(value.id));
      rocket.emit('acks');
    });
    await new Promise<void>((resolve) => rocket.bind(0, '127.0.0.1', resolve));
    rocket.send(
      encodeDatagram({ type: 'hello', version: 1, nick: 'retry', client: 'test' }),
      server.address.port,
      '127.0.0.1',
    );
    const say = encodeDatagram({ type: 'say', id: 'm1', text: 'only once' });
    rocket.send(say, server.address.port, '127.0.0.1');
    rocket.send(say, server.address.port, '127.0.0.1');
    await waitUntil(rocket, 'acks', () => acks.length === 2);
    rocket.send(encodeDatagram({ type: 'say', id: 'm2', text: 'marker' }), server.address.port, '127.0.0.1');
    await watcher.waitFor(/> marker$/);
    expect(watcher.lines.filter((l) => l.endsWith('> only once'))).toHaveLength(1);
  });

  it('answers pings without joining the room', async () => {
    const server = await udpRoom();
    const socket = dgram.createSocket('udp4');
    cleanups.push(() => socket.close());
    const pong = new Promise<Record<string, unknown> | undefined>((resolve) =>
      socket.once('message', (m) => resolve(decodeDatagram(m))),
    );
    socket.send(encodeDatagram({ type: 'ping', seq: 7, ts: 1 }), server.address.port, '127.0.0.1');
    expect(await pong).toEqual({ type: 'pong', seq: 7, ts: 1 });
    expect(server.room.size).toBe(0);
  });

  it('refuses a message too long for one safe datagram, with a clear error', async () => {
    const server = await udpRoom();
    const { client, events } = await rocketPeer(server.address.port, 'long');
    client.say('x'.repeat(5000));
    expect(events[0]).toMatchObject({ type: 'error', code: 'too-long' });
    expect(events[0]?.type === 'error' && events[0].text).toMatch(/use TCP/);
  });

  it('packs the lines of one turn to a plain peer into few datagrams, whole and in order', async () => {
    const server = await udpRoom();
    const watcher = await plainPeer(server.address.port);
    watcher.send('/nick watcher');
    await watcher.waitFor(/^\*\*\* In the room/);
    const talker = await plainPeer(server.address.port);
    talker.send('/nick talker');
    await watcher.waitFor(/^\*\*\* talker joined$/);
    const before = watcher.datagrams.length;
    // 60 lines in one datagram: 60 messages, said in one turn of the room's event loop.
    const lines = Array.from({ length: 60 }, (_, i) => `line ${i} ${'x'.repeat(20)}`);
    talker.send(`${lines.join('\n')}\n`);
    await watcher.waitFor(/^<talker> line 59 /);
    const said = watcher.lines.filter((l) => l.startsWith('<talker>'));
    expect(said).toEqual(lines.map((l) => `<talker> ${l}`));
    const got = watcher.datagrams.slice(before);
    expect(got.length).toBeLessThan(5); // about 2,000 bytes: two datagrams, not sixty
    for (const datagram of got) {
      expect(datagram.length).toBeLessThanOrEqual(1400);
      expect(datagram.toString().endsWith('\n')).toBe(true); // no line cut in two
    }
  });

  it('counts peers from one address against the per-address cap, and frees the place when one quits', async () => {
    const server = await udpRoom(undefined, 2);
    const first = await plainPeer(server.address.port);
    first.send('/nick first');
    await first.waitFor(/^\*\*\* In the room/);
    const second = await plainPeer(server.address.port);
    second.send('/nick second');
    await second.waitFor(/^\*\*\* In the room/);
    const third = await plainPeer(server.address.port);
    third.send('/nick third');
    expect(await third.waitFor(/^!!! /)).toBe('!!! too many connections from 127.0.0.1 (at most 2)');
    first.send('/quit');
    await second.waitFor(/^\*\*\* first left/);
    third.send('/nick third');
    await second.waitFor(/third joined$/);
  });

  it('lets 100 peers in from one address by default (a TCP room lets 1,000) and tells the next why not', async () => {
    const server = await udpRoom();
    const peers = await Promise.all(Array.from({ length: 100 }, () => plainPeer(server.address.port)));
    for (const peer of peers) peer.send('hi');
    await Promise.all(peers.map((peer) => peer.waitFor(/^\*\*\* rocket\/1 /)));
    const extra = await plainPeer(server.address.port);
    extra.send('hi');
    expect(await extra.waitFor(/^(\*\*\* rocket\/1 |!!! )/)).toBe(
      '!!! too many connections from 127.0.0.1 (at most 100)',
    );
  });

  it('takes no place from an address for a peer turned away at the door (a wrong room password)', async () => {
    const server = await startRoomServer({
      port: 0,
      host: '127.0.0.1',
      udp: true,
      password: 'open sesame',
      admission: { maxPerAddress: 1 },
    });
    cleanups.push(() => server.close());
    for (const guess of ['/pass guess', '/pass another guess']) {
      const wrong = await plainPeer(server.address.port);
      wrong.send(guess);
      await wrong.waitFor(/^!!! wrong room password/);
    }
    const right = await plainPeer(server.address.port);
    right.send('/pass open sesame');
    expect(await right.waitFor(/^(\*\*\* rocket\/1 |!!! )/)).toMatch(/^\*\*\* rocket\/1 /);
  });

  it('says nothing from a rocket whose nick is refused, not even the words before its hello', async () => {
    const server = await udpRoom();
    const george = await plainPeer(server.address.port);
    george.send('/nick george');
    await george.waitFor(/^\*\*\* rocket\/1 /);
    const mike = await plainPeer(server.address.port);
    mike.send('/nick mike');
    await george.waitFor(/mike joined$/);
    // Not told it is a rocket room: its first words go out as text, before its hello.
    const impostor = await connectUdpChat({ host: '127.0.0.1', port: server.address.port, nick: 'rnike' });
    cleanups.push(() => impostor.destroy());
    impostor.say('must not be said');
    impostor.say('nor this');
    const info = await impostor.finish();
    expect(info).toMatchObject({
      error: true,
      reason: expect.stringMatching(/^Cannot join as rnike: .*like mike/),
    });
    await vi.waitFor(() => expect(server.room.size).toBe(2)); // the refused rocket has gone
    george.send('/who');
    await george.waitFor(/^\*\*\* In the room \(/);
    expect(george.lines.join('\n')).not.toMatch(/must not be said|nor this|guest-\d+ (joined|left)/);
  });

  it('fails every letter once the room has gone, those sent after it too, without a stray error', async () => {
    const server = await udpRoom();
    const client = await connectUdpChat({
      host: '127.0.0.1',
      port: server.address.port,
      nick: 'peppa',
      assumeRocket: true,
    });
    cleanups.push(() => client.destroy());
    await waitUntil(client, 'mode', () => client.mode === 'rocket', 5000, 'the welcome');
    // More than the room's pace lets out at once: most wait for their turn when it goes.
    const letters = Array.from({ length: 300 }, (_, i) => client.sendLetter('george', `letter ${i}`));
    const settled = Promise.allSettled(letters);
    await server.close();
    const results = await settled;
    expect(results.filter((r) => r.status === 'rejected').length).toBeGreaterThan(0);
    for (const r of results)
      if (r.status === 'rejected') expect((r.reason as Error).message).toMatch(/^Letter not stored: /);
    await client.closed;
    // Sent once the client has closed: rejected at once, not thrown from a closed socket.
    await expect(client.sendLetter('george', 'four')).rejects.toThrow(
      /^Letter not stored: .*closed the room/,
    );
  });

  it('tells a denied address why in one line, not one per datagram', async () => {
    const server = await startRoomServer({
      port: 0,
      host: '127.0.0.1',
      udp: true,
      admission: { deny: ['127.0.0.1/32'] },
    });
    cleanups.push(() => server.close());
    const denied = await plainPeer(server.address.port);
    denied.send('hello');
    expect(await denied.waitFor(/^!!! /)).toBe('!!! 127.0.0.1 is not allowed in this room');
    denied.send('hello again');
    denied.send('and again');
    // Nor is it answered a ping. A member's ping comes after, in the same order on loopback:
    // once its pong is back, the room has read all of the above.
    denied.socket.send(encodeDatagram({ type: 'ping', seq: 1, ts: 1 }), server.address.port, '127.0.0.1');
    const member = dgram.createSocket('udp4');
    cleanups.push(() => member.close());
    await new Promise<void>((resolve) => member.bind(0, '127.0.0.2', resolve));
    const pong = new Promise<Buffer>((resolve) => member.once('message', resolve));
    member.send(encodeDatagram({ type: 'ping', seq: 2, ts: 1 }), server.address.port, '127.0.0.1');
    expect(decodeDatagram(await pong)).toMatchObject({ type: 'pong', seq: 2 });
    expect(denied.datagrams).toHaveLength(1);
    expect(denied.lines).toEqual(['!!! 127.0.0.1 is not allowed in this room']);
    expect(server.room.size).toBe(0);
  });

  it('forgets a peer that stays silent', async () => {
    const server = await udpRoom(800);
    const watcher = await plainPeer(server.address.port);
    watcher.send('/nick watcher');
    const quiet = await plainPeer(server.address.port);
    quiet.send('/nick quiet');
    await watcher.waitFor(/^\*\*\* quiet joined$/);
    // keep the watcher alive while the quiet one expires
    const keepAlive = setInterval(() => watcher.send('/who'), 50);
    cleanups.push(() => clearInterval(keepAlive));
    await watcher.waitFor(/^\*\*\* quiet left \(timed out/);
  });
});
