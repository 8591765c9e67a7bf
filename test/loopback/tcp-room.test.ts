import net from 'node:net';
import iconv from 'iconv-lite';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RenderedBatch } from '../../src/chat/rendered-event.js';
import { connectChat } from '../../src/client/chat-client.js';
import type { ChatConnection } from '../../src/client/types.js';
import type { ChatEvent } from '../../src/protocol/events.js';
import { type RoomServer, startRoomServer } from '../../src/server/room-server.js';
import { LineClient } from '../helpers/line-client.js';
import { waitUntil } from '../helpers/wait.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function room(options: Partial<Parameters<typeof startRoomServer>[0]> = {}): Promise<RoomServer> {
  const server = await startRoomServer({ port: 0, host: '127.0.0.1', ...options });
  cleanups.push(() => server.close());
  return server;
}

/** `writer` says `line`, and the reader (who keeps up) has it before the next. */
async function sayThrough(writer: LineClient, reader: LineClient, line: string): Promise<void> {
  const before = reader.lines.length;
  writer.socket.write(`${line}\n`);
  await waitUntil(
    reader.socket,
    'lines',
    () => reader.lines.length > before,
    5000,
    'the reader to get a line',
  );
}

async function plain(port: number, encoding = 'utf-8'): Promise<LineClient> {
  const client = await LineClient.connect(port, '127.0.0.1', encoding);
  cleanups.push(() => client.destroy());
  await client.waitForLine(/^\*\*\* In the room/);
  return client;
}

async function rocket(port: number, nick: string): Promise<{ client: ChatConnection; events: ChatEvent[] }> {
  const client = await connectChat({ host: '127.0.0.1', port, nick });
  cleanups.push(() => client.destroy());
  const events: ChatEvent[] = [];
  client.on('event', (e) => events.push(e));
  await waitUntil(client, 'event', () => events.some((e) => e.type === 'welcome'), 5000, 'welcome');
  return { client, events };
}

function waitForEvent(
  client: ChatConnection,
  events: ChatEvent[],
  match: (e: ChatEvent) => boolean,
): Promise<void> {
  return waitUntil(client, 'event', () => events.some(match), 5000, 'an event');
}

describe('TCP room', () => {
  it('greets a plain client with its guest name and how to set a nick', async () => {
    const server = await room();
    const client = await LineClient.connect(server.address.port);
    cleanups.push(() => client.destroy());
    const greeting = await client.waitForLine(/^\*\*\* rocket\/1 /);
    expect(greeting).toMatch(/You are guest-\d+/);
    expect(greeting).toMatch(/\/nick NAME/);
  });

  it('upgrades a rocket client to frames and gives it the nick it asked for', async () => {
    const server = await room();
    const { client, events } = await rocket(server.address.port, 'peppa');
    expect(client.mode).toBe('rocket');
    expect(events.find((e) => e.type === 'welcome')).toMatchObject({ nick: 'peppa' });
    expect(server.room.who()).toContain('peppa');
  });

  it('says nothing from a rocket whose nick is refused, which leaves with the reason', async () => {
    const server = await room();
    const watcher = await plain(server.address.port);
    await rocket(server.address.port, 'george');
    await watcher.waitForLine(/george joined$/);
    const client = await connectChat({ host: '127.0.0.1', port: server.address.port, nick: 'georgé' });
    cleanups.push(() => client.destroy());
    client.say('must not be said');
    expect(await client.finish()).toMatchObject({
      error: true,
      reason: 'Cannot join as georgé: "georgé" looks too much like george, who is here; choose another',
    });
    await vi.waitFor(() => expect(server.room.size).toBe(2)); // the refused rocket has gone
    // Answered after anything the room said before: nothing of the refused rocket came.
    watcher.send('/who\n');
    await watcher.waitForLine(/^\*\*\* In the room \(/);
    expect(watcher.lines.join('\n')).not.toMatch(/must not be said|guest-\d+ (joined|left)/);
  });

  it('carries messages both ways between a rocket and a plain client', async () => {
    const server = await room();
    const nc = await plain(server.address.port);
    nc.send('/nick george\n');
    await nc.waitForLine(/is now known as george/);
    const { client, events } = await rocket(server.address.port, 'peppa');
    await nc.waitForLine(/^\*\*\* peppa joined$/);
    client.say('hello George');
    await nc.waitForLine(/^<peppa> hello George$/);
    nc.send('hi Peppa\n');
    await waitForEvent(client, events, (e) => e.type === 'message' && e.text === 'hi Peppa');
    expect(events.find((e) => e.type === 'message')).toMatchObject({ from: 'george', text: 'hi Peppa' });
  });

  it('acknowledges every message of a rocket client before it leaves', async () => {
    const server = await room();
    const nc = await plain(server.address.port);
    const { client } = await rocket(server.address.port, 'peppa');
    for (let i = 0; i < 100; i++) client.say(`line ${i}`);
    const info = await client.finish();
    expect(info.error).toBeFalsy();
    await nc.waitForLine(/^<peppa> line 99$/);
    const received = nc.lines.filter((l) => l.startsWith('<peppa> line '));
    expect(received).toEqual(Array.from({ length: 100 }, (_, i) => `<peppa> line ${i}`));
  });

  it('counts text without a newline as a message after a pause (the tutorial client)', async () => {
    const server = await room();
    const nc = await plain(server.address.port);
    const tutorial = await plain(server.address.port);
    tutorial.send('hello George');
    await nc.waitForLine(/^<guest-\d+> hello George$/);
  });

  it('lets a gbk client and a utf-8 client read each other', async () => {
    const server = await room();
    const utf8 = await plain(server.address.port, 'utf-8');
    const gbk = await plain(server.address.port, 'gbk');
    gbk.send('/encoding gbk\n');
    await gbk.waitForLine(/gbk/i);
    gbk.send('/encoding gbk\n');
    await gbk.waitForLine(/now reads and writes gbk/);
    gbk.send('你好，乔治\n', 'gbk');
    await utf8.waitForLine(/> 你好，乔治$/);
    utf8.send('佩奇你好\n');
    await gbk.waitForLine(/> 佩奇你好$/);
  });

  it('never garbles a character split across TCP segments', async () => {
    const server = await room();
    const reader = await plain(server.address.port);
    const writer = await plain(server.address.port);
    const bytes = Buffer.from('乔治\n', 'utf8');
    for (const byte of bytes) {
      await new Promise<void>((resolve) => writer.socket.write(Buffer.from([byte]), () => resolve()));
    }
    expect(await reader.waitForLine(/> /)).toMatch(/> 乔治$/);
  });

  it('turns invalid bytes into U+FFFD and keeps serving', async () => {
    const server = await room();
    const reader = await plain(server.address.port);
    const writer = await plain(server.address.port);
    writer.socket.write(Buffer.from([0x61, 0xff, 0xfe, 0x62, 0x0a]));
    expect(await reader.waitForLine(/> a/)).toMatch(/> a\ufffd\ufffdb$/);
    writer.send('still here\n');
    await reader.waitForLine(/> still here$/);
  });

  it('serves hundreds of clients at once', async () => {
    const server = await room();
    const count = 200;
    const clients = await Promise.all(Array.from({ length: count }, () => plain(server.address.port)));
    clients[0]!.send('one for all\n');
    await Promise.all(clients.slice(1).map((c) => c.waitForLine(/> one for all$/, 10_000)));
    expect(server.room.size).toBe(count);
  });

  it('hands a burst to a big room in order, to plain, gbk and rocket members alike', async () => {
    const server = await room();
    const crowd = await Promise.all(Array.from({ length: 120 }, () => plain(server.address.port)));
    const gbk = await plain(server.address.port, 'gbk');
    gbk.send('/encoding gbk\n');
    await gbk.waitForLine(/gbk/i);
    const { client, events } = await rocket(server.address.port, 'peppa');
    const sender = crowd[0]!;
    const batchedText = vi.spyOn(RenderedBatch.prototype, 'bytes');
    const batchedFrames = vi.spyOn(RenderedBatch.prototype, 'frames');
    cleanups.push(() => vi.restoreAllMocks());
    // One write, so the room reads the burst in one go and batches it (rooms of 100+).
    const burst = Array.from({ length: 50 }, (_, i) => `line ${i} 你好`);
    sender.send(`${burst.join('\n')}\n`);
    const expected = burst.map((text) => new RegExp(`> ${text}$`));
    for (const member of [crowd[60]!, gbk]) {
      await member.waitForLine(expected[49]!, 10_000);
      const got = member.lines.filter((line) => / line \d+ /.test(line));
      expect(got).toHaveLength(50);
      for (const [i, line] of got.entries()) expect(line).toMatch(expected[i]!);
    }
    await waitForEvent(client, events, (e) => e.type === 'message' && e.text === burst[49]);
    const said = events.filter((e) => e.type === 'message').map((e) => (e as { text: string }).text);
    expect(said).toEqual(burst);
    expect(sender.lines.some((line) => / line \d+ /.test(line))).toBe(false); // not its own lines
    // It went the batched way: one shared buffer per encoding (utf-8, gbk) and for frames.
    expect(new Set(batchedText.mock.calls.map(([encoding]) => encoding))).toEqual(new Set(['utf-8', 'gbk']));
    expect(batchedFrames).toHaveBeenCalled();
  });

  it('does not close as idle a member who only reads while the room is talking', async () => {
    const server = await room({ idleTimeoutMs: 1000 });
    const talker = await plain(server.address.port);
    const lurker = await plain(server.address.port);
    // Ten lines 200 ms apart: two seconds in which the lurker sends nothing but hears plenty.
    for (let i = 0; i < 10; i++) {
      talker.send(`line ${i}\n`);
      await lurker.waitForLine(new RegExp(`> line ${i}$`));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(lurker.lines.some((line) => /idle/.test(line))).toBe(false);
    expect(lurker.closed).toBe(false);
  });

  it('tells the others when a client vanishes, and goes on', async () => {
    const server = await room();
    const watcher = await plain(server.address.port);
    const victim = await plain(server.address.port);
    victim.send('/nick danny\n');
    await watcher.waitForLine(/^\*\*\* danny joined$/);
    victim.socket.resetAndDestroy();
    await watcher.waitForLine(/^\*\*\* danny left/);
    const other = await plain(server.address.port);
    other.send('anyone?\n');
    await watcher.waitForLine(/> anyone\?$/);
  });

  it('counts the message limit in bytes, not characters', async () => {
    const server = await room({ maxMessageBytes: 100 });
    const watcher = await plain(server.address.port);
    const talker = await plain(server.address.port);
    talker.send('/nick talker\n');
    await watcher.waitForLine(/^\*\*\* talker joined$/);
    talker.send(`${'你'.repeat(40)}\n`); // 40 characters, 120 bytes
    await talker.waitForLine(/message not sent: 120 bytes, and the limit is 100/);
    talker.send(`${'你'.repeat(33)}\n`); // 99 bytes
    await watcher.waitForLine(new RegExp(`^<talker> ${'你'.repeat(33)}$`));
    talker.send('你'.repeat(40)); // no newline: said after the pause, and counted the same
    await waitUntil(
      talker.socket,
      'lines',
      () => talker.lines.filter((l) => /message not sent: 120 bytes/.test(l)).length === 2,
      5000,
      'the second refusal',
    );
    expect(watcher.lines.some((l) => l.includes('你'.repeat(40)))).toBe(false);
  });

  it('drops a client that never reads, and the others carry on', async () => {
    const server = await room({ maxQueuedBytes: 256 * 1024 });
    const reader = await plain(server.address.port);
    const stuck = await plain(server.address.port);
    stuck.send('/nick stuck\n');
    await reader.waitForLine(/^\*\*\* stuck joined$/);
    stuck.socket.pause();
    const writer = await plain(server.address.port);
    const big = 'x'.repeat(60_000);
    // Bounded: at most 400 x 60 KB, stopping as soon as the room drops the stuck client.
    let sent = 0;
    // The reader keeps up (we wait for each line); the stuck client falls behind.
    for (; sent < 400 && server.room.size === 3; sent++) {
      await sayThrough(writer, reader, big);
    }
    await reader.waitForLine(/^\*\*\* stuck left \(too far behind/, 10_000);
    expect(sent).toBeLessThan(400);
    writer.send('after\n');
    await reader.waitForLine(/> after$/);
  });

  it('keeps all it holds for members within its budget, dropping those furthest behind', async () => {
    // Each stuck member alone is far under its own 8 MiB cap; three of them are over 1 MiB.
    const server = await room({ outputBudgetBytes: 1024 * 1024 });
    const reader = await plain(server.address.port);
    const stuck = await Promise.all([1, 2, 3].map(() => plain(server.address.port)));
    for (const client of stuck) client.socket.pause();
    const writer = await plain(server.address.port);
    const big = 'x'.repeat(60_000);
    // Bounded: at most 100 x 60 KB (under each one's own cap), stopping once the room has
    // dropped one of the stuck ones.
    const dropped = () => reader.lines.filter((l) => /left \(too far behind/.test(l)).length;
    let sent = 0;
    for (; sent < 100 && dropped() === 0; sent++) {
      await sayThrough(writer, reader, big);
    }
    expect(dropped()).toBeGreaterThan(0);
    expect(sent).toBeLessThan(100);
    writer.send('after\n');
    await reader.waitForLine(/> after$/);
  });

  it('talks plain text to a peer that is not a rocket, and sends only what was typed', async () => {
    const received: Buffer[] = [];
    const echo = net.createServer((socket) => {
      socket.on('data', (d) => {
        received.push(d);
        socket.write(iconv.encode(`you said ${d.toString('utf8').trim()}`, 'gbk'));
      });
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => echo.close(resolve)));
    const port = (echo.address() as net.AddressInfo).port;
    const client = await connectChat({
      host: '127.0.0.1',
      port,
      detectMs: 200,
      encodings: { send: 'utf-8', recv: 'gbk' },
    });
    cleanups.push(() => client.destroy());
    const events: ChatEvent[] = [];
    client.on('event', (e) => events.push(e));
    client.say('你好');
    await waitForEvent(client, events, (e) => e.type === 'message');
    expect(client.mode).toBe('plain');
    expect(Buffer.concat(received).toString('utf8')).toBe('你好\n');
    expect(events[0]).toMatchObject({ type: 'message', text: 'you said 你好' });
  });

  it('says goodbye to every client when it closes', async () => {
    const server = await startRoomServer({ port: 0, host: '127.0.0.1' });
    const a = await plain(server.address.port);
    const { client, events } = await rocket(server.address.port, 'peppa');
    await server.close();
    await a.waitForLine(/^\*\*\* The room is closing/);
    await a.waitForClose();
    const info = await client.closed;
    expect(events.some((e) => e.type === 'bye')).toBe(true);
    expect(info.error).toBeFalsy();
  });
});
