import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectChat } from '../../src/client/chat-client.js';
import type { ChatEvent } from '../../src/protocol/events.js';
import { type RoomServerOptions, startRoomServer } from '../../src/server/room-server.js';
import { LineClient } from '../helpers/line-client.js';
import { waitUntil } from '../helpers/wait.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function room(options: Partial<RoomServerOptions> = {}) {
  const server = await startRoomServer({ port: 0, host: '127.0.0.1', ...options });
  cleanups.push(() => server.close());
  return server;
}

/** A plain client bound to a chosen loopback address (127.0.0.2 is a different host to the room). */
function connectFrom(localAddress: string, port: number): Promise<LineClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress }, () => {
      const client = LineClient.wrap(socket);
      cleanups.push(() => client.destroy());
      resolve(client);
    });
    socket.once('error', reject);
  });
}

describe('a room password', () => {
  it('keeps a plain client out until /pass, and shows it nothing of the room before', async () => {
    const server = await room({ password: 'open sesame' });
    const inside = await LineClient.connect(server.address.port);
    cleanups.push(() => inside.destroy());
    inside.send('/pass open sesame\n');
    await inside.waitForLine(/^\*\*\* In the room/);
    inside.send('/nick insider\n');

    const stranger = await LineClient.connect(server.address.port);
    cleanups.push(() => stranger.destroy());
    await stranger.waitForLine(/is protected: send \/pass SECRET first/);
    inside.send('secret plans\n');
    stranger.send('let me in\n');
    await stranger.waitForLine(/^!!! this room is protected/);
    await stranger.waitForClose();
    expect(stranger.lines.join('\n')).not.toMatch(/secret plans|insider|In the room/);
  });

  it('turns away a wrong password, and lets a rocket in with the right one', async () => {
    const server = await room({ password: 'open sesame' });
    const wrong = await LineClient.connect(server.address.port);
    cleanups.push(() => wrong.destroy());
    wrong.send('/pass guess\n');
    await wrong.waitForLine(/^!!! wrong room password/);
    await wrong.waitForClose();

    const refused = await connectChat({ host: '127.0.0.1', port: server.address.port, nick: 'nope' });
    const refusedEvents: ChatEvent[] = [];
    refused.on('event', (e) => refusedEvents.push(e));
    await refused.closed;
    expect(refusedEvents).toContainEqual(expect.objectContaining({ type: 'error', code: 'room-password' }));

    const rocket = await connectChat({
      host: '127.0.0.1',
      port: server.address.port,
      nick: 'peppa',
      roomPassword: 'open sesame',
    });
    cleanups.push(() => rocket.destroy());
    const events: ChatEvent[] = [];
    rocket.on('event', (e) => events.push(e));
    await waitUntil(rocket, 'event', () => events.some((e) => e.type === 'welcome'));
    expect(server.room.who()).toContain('peppa');
  });
});

describe('who may come in', () => {
  it('refuses a denied address with one line, and serves the others', async () => {
    const server = await room({ admission: { deny: ['127.0.0.2/32'] } });
    const denied = await connectFrom('127.0.0.2', server.address.port);
    await denied.waitForLine(/^!!! 127\.0\.0\.2 is not allowed in this room$/);
    await denied.waitForClose();
    const allowed = await connectFrom('127.0.0.1', server.address.port);
    await allowed.waitForLine(/^\*\*\* rocket\/1 /);
  });

  it('lets only the allowed networks in', async () => {
    const server = await room({ admission: { allow: ['127.0.0.1', '::1/128'] } });
    const outsider = await connectFrom('127.0.0.3', server.address.port);
    await outsider.waitForLine(/not allowed/);
    const insider = await connectFrom('127.0.0.1', server.address.port);
    await insider.waitForLine(/^\*\*\* rocket\/1 /);
  });

  it('caps connections per address and in all', async () => {
    const server = await room({ admission: { maxPerAddress: 3, maxConnections: 5 } });
    const first = await Promise.all([1, 2, 3].map(() => connectFrom('127.0.0.1', server.address.port)));
    for (const c of first) await c.waitForLine(/^\*\*\* rocket\/1 /);
    const fourth = await connectFrom('127.0.0.1', server.address.port);
    await fourth.waitForLine(/too many connections from 127\.0\.0\.1 \(at most 3\)/);
    const others = await Promise.all([2, 3].map((n) => connectFrom(`127.0.0.${n + 2}`, server.address.port)));
    for (const c of others) await c.waitForLine(/^\*\*\* rocket\/1 /);
    const sixth = await connectFrom('127.0.0.9', server.address.port);
    await sixth.waitForLine(/the room is full/);
    // a slot frees up when someone leaves
    first[0]!.destroy();
    await expect
      .poll(async () => {
        const again = await connectFrom('127.0.0.9', server.address.port);
        const line = await again.waitForLine(/^(\*\*\* rocket\/1 |!!! )/);
        again.destroy();
        return line.startsWith('*** rocket/1');
      })
      .toBe(true);
  });

  it('rejects a malformed network with a usage error', async () => {
    await expect(startRoomServer({ port: 0, admission: { allow: ['300.1.2.3/8'] } })).rejects.toThrow(
      /--allow "300\.1\.2\.3\/8" is not an address or network/,
    );
  });
});

/** A watcher, and a plain member called `nick` that the watcher has seen join. */
async function watchedMember(
  port: number,
  nick: string,
): Promise<{ watcher: LineClient; member: LineClient }> {
  const watcher = await LineClient.connect(port);
  cleanups.push(() => watcher.destroy());
  watcher.send('/nick watcher\n');
  const member = await LineClient.connect(port);
  cleanups.push(() => member.destroy());
  member.send(`/nick ${nick}\n`);
  await watcher.waitForLine(new RegExp(`^\\*\\*\\* ${nick} joined$`));
  return { watcher, member };
}

describe('a flooding peer', () => {
  it('is slowed down with a notice, then disconnected, while others are served', async () => {
    const server = await room({ rateLimits: { messagesPerSecond: 50, floodMs: 1500 } });
    const { watcher, member: flooder } = await watchedMember(server.address.port, 'flooder');
    // Bounded: at most 20,000 lines over at most 10 s, stopping when the room hangs up.
    const line = Buffer.from('spam spam spam spam\n'.repeat(100));
    const deadline = Date.now() + 10_000;
    let sent = 0;
    while (!flooder.closed && sent < 20_000 && Date.now() < deadline) {
      if (!flooder.socket.write(line))
        await new Promise((r) => flooder.socket.once('drain', r).once('close', r));
      sent += 100;
    }
    await flooder.waitForLine(/slowing you down/);
    await flooder.waitForLine(/disconnected for flooding/, 10_000);
    await watcher.waitForLine(/^\*\*\* flooder left \(flooding\)$/, 10_000);
    const spam = watcher.lines.filter((l) => l.startsWith('<flooder>')).length;
    expect(spam).toBeLessThan(sent); // held back, not all relayed
    const other = await LineClient.connect(server.address.port);
    cleanups.push(() => other.destroy());
    other.send('still working?\n');
    await watcher.waitForLine(/> still working\?$/);
  }, 30_000);
});

describe('the rate limit', () => {
  it('holds back lines that arrive together in one write, and loses none of them', async () => {
    const server = await room({ rateLimits: { messagesPerSecond: 50, floodMs: 5000 } });
    const { watcher, member: talker } = await watchedMember(server.address.port, 'talker');
    const said = () => watcher.lines.filter((l) => l.startsWith('<talker>'));
    // 150 lines in one write: a burst of 100 (twice the rate) goes at once, the rest at 50/s.
    talker.send(Array.from({ length: 150 }, (_, i) => `line ${i}\n`).join(''));
    await waitUntil(watcher.socket, 'lines', () => said().length >= 100, 5000, 'the burst');
    expect(said().length).toBeLessThan(150); // not all at once
    await waitUntil(watcher.socket, 'lines', () => said().length === 150, 10_000, 'every line');
    expect(said()).toEqual(Array.from({ length: 150 }, (_, i) => `<talker> line ${i}`));
    expect(talker.closed).toBe(false);
  }, 20_000);

  it('still says every line of a client that wrote them all and closed at once', async () => {
    const server = await room({ rateLimits: { messagesPerSecond: 50, floodMs: 5000 } });
    const watcher = await LineClient.connect(server.address.port);
    cleanups.push(() => watcher.destroy());
    await watcher.waitForLine(/^\*\*\* In the room/);
    const said = (who: string) => watcher.lines.filter((l) => l.startsWith(`<${who}>`));
    const file = (who: string) => Array.from({ length: 150 }, (_, i) => `${who} ${i}\n`).join('');
    // nc -N: the file, then our FIN, then it waits for the room's.
    const halfClose = net.connect(server.address.port, '127.0.0.1');
    halfClose.on('error', () => {});
    halfClose.resume();
    halfClose.end(`/nick nc\n${file('nc')}`);
    // The tutorial's Python client: sendall, then close() at once.
    const fullClose = net.connect(server.address.port, '127.0.0.1');
    fullClose.on('error', () => {});
    fullClose.end(`/nick py\n${file('py')}`, () => fullClose.destroy());
    await waitUntil(
      watcher.socket,
      'lines',
      () => said('nc').length === 150 && said('py').length === 150,
      15_000,
    );
    for (const who of ['nc', 'py'])
      expect(said(who)).toEqual(Array.from({ length: 150 }, (_, i) => `<${who}> ${who} ${i}`));
    await watcher.waitForLine(/^\*\*\* nc left/);
  }, 20_000);

  it('is kept by a piped rocket connect, which paces its lines the same way', async () => {
    const server = await room({ rateLimits: { messagesPerSecond: 50, floodMs: 1000 } });
    const watcher = await LineClient.connect(server.address.port);
    cleanups.push(() => watcher.destroy());
    const bulk = await connectChat({ host: '127.0.0.1', port: server.address.port, nick: 'bulk' });
    cleanups.push(() => bulk.destroy());
    // All at once, as `rocket connect < file` reads them; unpaced: 2 s held back, flooding.
    for (let i = 0; i < 200; i++) bulk.say(`line ${i}`);
    const info = await bulk.finish();
    expect(info.error).toBeFalsy();
    const said = () => watcher.lines.filter((l) => l.startsWith('<bulk>'));
    await waitUntil(watcher.socket, 'lines', () => said().length === 200, 5000, 'every line');
    expect(said()).toEqual(Array.from({ length: 200 }, (_, i) => `<bulk> line ${i}`));
  }, 20_000);

  it('is kept by rocket send, which paces letters to the rate the room announces', async () => {
    // Unpaced, 200 letters at once would be held back for 2 s here: flooding, disconnected.
    const server = await room({ store: 'memory', rateLimits: { messagesPerSecond: 50, floodMs: 1000 } });
    const george = await connectChat({
      host: '127.0.0.1',
      port: server.address.port,
      nick: 'george',
      password: 'muddy puddles',
    });
    cleanups.push(() => george.destroy());
    await george.loggedIn();
    await george.finish();
    const peppa = await connectChat({ host: '127.0.0.1', port: server.address.port, nick: 'peppa' });
    cleanups.push(() => peppa.destroy());
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) => peppa.sendLetter('george', `letter ${i}`)),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
  }, 20_000);
});

describe('a flooding UDP peer', () => {
  it('has datagrams over the limit dropped with a notice, then is dropped itself', async () => {
    const { default: dgram } = await import('node:dgram');
    const server = await room({ udp: true, rateLimits: { messagesPerSecond: 50, floodMs: 1000 } });
    const heard: string[] = [];
    const watcher = dgram.createSocket('udp4');
    const flooder = dgram.createSocket('udp4');
    cleanups.push(
      () => watcher.close(),
      () => flooder.close(),
    );
    watcher.on('message', (m) => heard.push(m.toString()));
    const toFlooder: string[] = [];
    flooder.on('message', (m) => toFlooder.push(m.toString()));
    watcher.send('/nick watcher', server.address.port, '127.0.0.1');
    await waitUntil(watcher, 'message', () => heard.some((l) => l.includes('In the room')));
    flooder.send('/nick flooder', server.address.port, '127.0.0.1');
    await waitUntil(watcher, 'message', () =>
      heard.some((l) => /(flooder joined|now known as flooder)/.test(l)),
    );
    // Bounded: 3,000 datagrams over at most 3 s.
    const deadline = Date.now() + 3000;
    for (let i = 0; i < 3000 && Date.now() < deadline; i++) {
      await new Promise<void>((resolve) =>
        flooder.send(`spam ${i}`, server.address.port, '127.0.0.1', () => resolve()),
      );
      if (i % 100 === 99) await new Promise((r) => setTimeout(r, 20));
    }
    await waitUntil(
      flooder,
      'message',
      () => toFlooder.some((l) => l.includes('disconnected for flooding')),
      5000,
    );
    expect(toFlooder.some((l) => l.includes('messages over the limit are dropped'))).toBe(true);
    const relayed = heard.filter((l) => /> spam \d+/.test(l)).length;
    expect(relayed).toBeLessThan(500);
    await waitUntil(watcher, 'message', () => heard.some((l) => /flooder left \(flooding\)/.test(l)));
  });
});
