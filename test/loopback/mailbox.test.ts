import dgram from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectChat } from '../../src/client/chat-client.js';
import type { ChatConnection } from '../../src/client/types.js';
import { connectUdpChat } from '../../src/client/udp-chat-client.js';
import type { ChatEvent } from '../../src/protocol/events.js';
import { encodeDatagram } from '../../src/protocol/udp-wire.js';
import { type RoomServer, type RoomServerOptions, startRoomServer } from '../../src/server/room-server.js';
import { LineClient } from '../helpers/line-client.js';
import { waitUntil } from '../helpers/wait.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rocket-mail-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function room(options: Partial<RoomServerOptions> = {}): Promise<RoomServer> {
  const server = await startRoomServer({
    port: 0,
    host: '127.0.0.1',
    store: { dataDir: tempDir() },
    ...options,
  });
  cleanups.push(() => server.close());
  return server;
}

async function rocket(
  port: number,
  nick?: string,
  password?: string,
  udp = false,
): Promise<{ client: ChatConnection; events: ChatEvent[] }> {
  const client = udp
    ? await connectUdpChat({ host: '127.0.0.1', port, nick, password, assumeRocket: true })
    : await connectChat({ host: '127.0.0.1', port, nick, password });
  cleanups.push(() => client.destroy());
  const events: ChatEvent[] = [];
  client.on('event', (e) => events.push(e));
  return { client, events };
}

function letters(events: ChatEvent[]) {
  return events.filter((e) => e.type === 'message' && e.stored);
}

async function inboxEnd(client: ChatConnection, events: ChatEvent[]): Promise<void> {
  await waitUntil(
    client,
    'event',
    () => events.some((e) => e.type === 'inbox-end'),
    10_000,
    'the end of the inbox',
  );
}

describe('letters (the u-store)', () => {
  it('keeps letters for a registered nick and hands them over at login, in order, before live traffic', async () => {
    const server = await room();
    const george = await rocket(server.address.port, 'george', 'mud-puddles');
    await george.client.loggedIn();
    george.client.quit();
    await george.client.closed;

    const peppa = await rocket(server.address.port, 'peppa');
    const stored = await Promise.all([1, 2, 3].map((i) => peppa.client.sendLetter('george', `letter ${i}`)));
    expect(stored.map((s) => s.to)).toEqual(['george', 'george', 'george']);

    const again = await rocket(server.address.port, 'george', 'mud-puddles');
    const login = await again.client.loggedIn();
    expect(login.waiting).toBe(3);
    peppa.client.say('live after login');
    await waitUntil(again.client, 'event', () =>
      again.events.some((e) => e.type === 'message' && e.text === 'live after login'),
    );
    const texts = again.events.filter((e) => e.type === 'message').map((e) => (e as { text: string }).text);
    expect(texts).toEqual(['letter 1', 'letter 2', 'letter 3', 'live after login']);
    expect(letters(again.events)[0]).toMatchObject({ from: 'peppa', to: 'george', stored: true });
    // acknowledged: nothing waits any more
    await expect.poll(() => server.room.mailroom!.count('george')).toBe(0);
  });

  it('tells the sender a /msg to someone away is waiting, and refuses unknown nicks', async () => {
    const server = await room();
    const george = await rocket(server.address.port, 'george', 'secret1');
    await george.client.loggedIn();
    george.client.quit();
    await george.client.closed;
    const nc = await LineClient.connect(server.address.port);
    cleanups.push(() => nc.destroy());
    nc.send('/msg george are you home?\n');
    expect(await nc.waitForLine(/letter to george is waiting/)).toMatch(/id /);
    nc.send('/msg danny hello\n');
    await nc.waitForLine(/nobody called danny/);
  });

  it('lets a plain client register, log in and read its letters; reading them is the acknowledgement', async () => {
    const server = await room();
    const george = await LineClient.connect(server.address.port);
    cleanups.push(() => george.destroy());
    george.send('/nick george\n');
    george.send('/register hunter22\n');
    // A registration says so, not "logged in".
    expect(await george.waitForLine(/george is registered/)).toBe(
      '*** george is registered to you now: log in with it and its secret next time',
    );
    george.destroy();
    const peppa = await rocket(server.address.port, 'peppa');
    await peppa.client.sendLetter('george', 'from peppa, plainly');
    const back = await LineClient.connect(server.address.port);
    cleanups.push(() => back.destroy());
    back.send('/login george hunter22\n');
    expect(await back.waitForLine(/\[letter from peppa/)).toMatch(/from peppa, plainly$/);
    await expect.poll(() => server.room.mailroom!.count('george')).toBe(0);
  });

  it('hands a plain client more than a megabyte of letters, then live traffic', async () => {
    // More than the link's 1 MiB at once: the hand-over waits for the link to drain between
    // pages, which must end even when the kernel took everything at once (no 'drain' comes).
    const server = await room({ store: 'memory' });
    const george = await LineClient.connect(server.address.port);
    cleanups.push(() => george.destroy());
    george.send('/nick george\n/register hunter22\n');
    await george.waitForLine(/george is registered to you now/);
    george.destroy();
    const text = 'x'.repeat(1100);
    const count = 1001;
    for (let i = 0; i < count; i++)
      await server.room.mailroom!.post(
        { id: `L${i}`, ts: Date.now(), from: 'peppa', to: 'george', text: `${i} ${text}` },
        'peppa',
      );
    const back = await LineClient.connect(server.address.port);
    cleanups.push(() => back.destroy());
    back.send('/login george hunter22\n');
    await back.waitForLine(new RegExp(`from peppa.*\\] ${count - 1} x`), 10_000);
    const peppa = await rocket(server.address.port, 'peppa');
    peppa.client.say('live after the letters');
    await back.waitForLine(/<peppa> live after the letters$/, 10_000);
    const received = back.lines.filter((line) => line.includes('[letter from peppa'));
    expect(received).toHaveLength(count);
    expect(received.map((line) => Number(/\] (\d+) x/.exec(line)?.[1]))).toEqual([...Array(count).keys()]);
  });

  it('keeps george safe from impostors, and his secret out of the store and the output', async () => {
    const dir = tempDir();
    const server = await room({ store: { dataDir: dir } });
    const george = await rocket(server.address.port, 'george', 'correct-horse');
    await george.client.loggedIn();
    george.client.quit();
    await george.client.closed;
    const peppa = await rocket(server.address.port, 'peppa');
    await peppa.client.sendLetter('george', 'for george only');

    const impostor = await rocket(server.address.port, 'george', 'wrong-guess');
    await expect(impostor.client.loggedIn()).rejects.toThrow(/wrong nickname or secret/);
    expect(letters(impostor.events)).toEqual([]);
    const nc = await LineClient.connect(server.address.port);
    cleanups.push(() => nc.destroy());
    nc.send('/nick george\n');
    await nc.waitForLine(/george is registered/);
    nc.send('/nick g\u0435orge\n'); // a Cyrillic "е" in the middle
    await nc.waitForLine(/looks too much like the registered nick george/);
    nc.send('/nick GEORGE\n');
    nc.send('/login george nope\n');
    await nc.waitForLine(/wrong nickname or secret/);
    expect(nc.lines.some((l) => l.includes('for george only'))).toBe(false);
    expect(nc.lines.some((l) => l.includes('nope'))).toBe(false);

    await server.close();
    for (const file of readdirSync(dir)) {
      const bytes = readFileSync(join(dir, file));
      expect(bytes.includes(Buffer.from('correct-horse'))).toBe(false);
      expect(bytes.includes(Buffer.from('wrong-guess'))).toBe(false);
    }
  });

  it('refuses letters over the quota or the size limit, with the reason', async () => {
    const server = await room({ mailLimits: { quotaPerRecipient: 2, maxLetterBytes: 100 } });
    const george = await rocket(server.address.port, 'george', 'secret1');
    await george.client.loggedIn();
    george.client.quit();
    await george.client.closed;
    const peppa = await rocket(server.address.port, 'peppa');
    await peppa.client.sendLetter('george', 'one');
    await peppa.client.sendLetter('george', 'two');
    await expect(peppa.client.sendLetter('george', 'three')).rejects.toThrow(/already has 2 letters waiting/);
    await expect(peppa.client.sendLetter('george', 'x'.repeat(200))).rejects.toThrow(/over the limit of 100/);
    await expect(peppa.client.sendLetter('nobody', 'hi')).rejects.toThrow(/nobody called nobody/);
    // Someone in the room who never registered: the refusal says so, and what to do.
    const suzy = await rocket(server.address.port, 'suzy');
    await waitUntil(
      suzy.client,
      'event',
      () => suzy.events.some((e) => e.type === 'welcome'),
      5000,
      'suzy in',
    );
    await expect(peppa.client.sendLetter('suzy', 'hi')).rejects.toThrow(
      /suzy is here but has not registered.*\/msg suzy/,
    );
  });

  it('keeps letters across a restart of the room', async () => {
    const dir = tempDir();
    const first = await startRoomServer({ port: 0, host: '127.0.0.1', store: { dataDir: dir } });
    const george = await rocket(first.address.port, 'george', 'secret1');
    await george.client.loggedIn();
    george.client.destroy();
    const peppa = await rocket(first.address.port, 'peppa');
    await peppa.client.sendLetter('george', 'survives a restart');
    await first.close();
    const second = await room({ store: { dataDir: dir } });
    const again = await rocket(second.address.port, 'george', 'secret1');
    await inboxEnd(again.client, again.events);
    expect(letters(again.events).map((e) => (e as { text: string }).text)).toEqual(['survives a restart']);
  });

  it('takes and delivers letters over UDP', async () => {
    const server = await room({ udp: true });
    const george = await rocket(server.address.port, 'george', 'secret1', true);
    await george.client.loggedIn();
    george.client.quit();
    const peppa = await rocket(server.address.port, 'peppa', undefined, true);
    const stored = await peppa.client.sendLetter('george', 'over the u-store');
    expect(stored).toMatchObject({ type: 'stored', to: 'george' });
    const again = await rocket(server.address.port, 'george', 'secret1', true);
    await inboxEnd(again.client, again.events);
    expect(letters(again.events).map((e) => (e as { text: string }).text)).toEqual(['over the u-store']);
    await expect.poll(() => server.room.mailroom!.count('george')).toBe(0);
  });

  it('hands a backlog of 700 letters over UDP without overflowing the reader', async () => {
    const server = await room({ udp: true });
    const george = await rocket(server.address.port, 'george', 'secret1', true);
    await george.client.loggedIn();
    george.client.quit();
    const mailroom = server.room.mailroom!;
    for (let i = 0; i < 700; i++)
      await mailroom.post(
        { id: `l${i}`, from: 'peppa', to: 'george', text: `letter ${i} ${'x'.repeat(400)}`, ts: Date.now() },
        'peppa',
      );
    // A thousand at once overflowed the client's socket buffer (the kernel default here).
    const again = await rocket(server.address.port, 'george', 'secret1', true);
    await inboxEnd(again.client, again.events);
    const texts = letters(again.events).map((e) => (e as { text: string }).text.split(' ', 2).join(' '));
    expect(texts).toEqual(Array.from({ length: 700 }, (_, i) => `letter ${i}`));
  }, 30_000);

  it('lets a login that must not claim (rocket inbox) fail for a free nick, over TCP and UDP', async () => {
    for (const udp of [false, true]) {
      const server = await room({ udp });
      const options = {
        host: '127.0.0.1',
        port: server.address.port,
        nick: 'gorge',
        password: 'secret1',
        claim: false,
      };
      const typo = udp
        ? await connectUdpChat({ ...options, assumeRocket: true })
        : await connectChat(options);
      cleanups.push(() => typo.destroy());
      await expect(typo.loggedIn()).rejects.toThrow(/wrong nickname or secret for gorge/);
      expect(server.room.mailroom!.isClaimed('gorge')).toBe(false);
    }
  });

  it('claims a nick over UDP with a secret even when nothing is said', async () => {
    const server = await room({ udp: true });
    // connect --udp --nick george --password-file F < /dev/null
    const george = await connectUdpChat({
      host: '127.0.0.1',
      port: server.address.port,
      nick: 'george',
      password: 'secret1',
    });
    cleanups.push(() => george.destroy());
    await george.loggedIn();
    await george.finish();
    expect(server.room.mailroom!.isClaimed('george')).toBe(true);
  });

  it('fails a UDP letter the room never confirms, instead of waiting for ever', async () => {
    // A room that welcomes rockets but never stores anything.
    const fake = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => fake.bind(0, '127.0.0.1', resolve));
    cleanups.push(() => fake.close());
    fake.on('message', (m, rinfo) => {
      if (m.toString('utf8').includes('"hello"'))
        fake.send(
          encodeDatagram({ type: 'welcome', nick: 'peppa', room: 'fake', version: 1, members: [] }),
          rinfo.port,
          rinfo.address,
        );
    });
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    cleanups.push(() => process.off('warning', onWarning));
    const client = await connectUdpChat({
      host: '127.0.0.1',
      port: (fake.address() as { port: number }).port,
      nick: 'peppa',
      assumeRocket: true,
      retransmitMs: 20,
      maxRetransmits: 2,
    });
    cleanups.push(() => client.destroy());
    // Twenty at once: they share one wait for the welcome (no listener per letter).
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => client.sendLetter('george', `letter ${i}`)),
    );
    expect(results.every((r) => r.status === 'rejected' && /did not confirm/.test(String(r.reason)))).toBe(
      true,
    );
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });
});

describe('a login and what is said after it', () => {
  async function georgeRegistered(server: RoomServer): Promise<void> {
    const george = await rocket(server.address.port, 'george', 'muddy puddles');
    await george.client.loggedIn();
    await george.client.finish();
  }

  async function watcherOf(server: RoomServer): Promise<LineClient> {
    const watcher = await LineClient.connect(server.address.port);
    cleanups.push(() => watcher.destroy());
    await watcher.waitForLine(/^\*\*\* In the room/);
    return watcher;
  }

  it('answers the commands after a login or registration of a client that sent them all and half-closed', async () => {
    // printf '/nick w1\n/register SECRET\n/who\n' | nc -N: the /who comes while the room is
    // still looking for letters to hand over, and the client has already sent its FIN.
    const server = await room();
    for (const script of ['/nick w1\n/register s3cret\n/who\n', '/login w1 s3cret\n/who\n']) {
      const client = await LineClient.connect(server.address.port);
      cleanups.push(() => client.destroy());
      client.socket.end(script);
      await client.waitForClose();
      expect(client.lines.filter((l) => l.startsWith('*** In the room ('))).toEqual([
        expect.stringMatching(/^\*\*\* In the room \(\d+\): .*w1/),
      ]);
    }
  });

  it('holds a plain client’s next lines until the login is decided', async () => {
    const server = await room();
    await georgeRegistered(server);
    const watcher = await watcherOf(server);
    const plain = await LineClient.connect(server.address.port);
    cleanups.push(() => plain.destroy());
    // One write, as `printf '/login ...\nhello\n' | nc` sends it.
    plain.send('/login george muddy puddles\nhello right after\n/nick georgie\n');
    await watcher.waitForLine(/now known as georgie$/);
    const said = watcher.lines.filter((l) => l.startsWith('<'));
    expect(said).toEqual(['<george> hello right after']);
  });

  it('says a rocket’s first lines under the nick it logs in to, and nothing when the login fails', async () => {
    const server = await room();
    await georgeRegistered(server);
    const watcher = await watcherOf(server);
    const right = await rocket(server.address.port, 'george', 'muddy puddles');
    right.client.say('said as george');
    expect((await right.client.finish()).error).toBeFalsy();
    await watcher.waitForLine(/^<george> said as george$/);

    const wrong = await rocket(server.address.port, 'george', 'not the secret');
    wrong.client.say('must not be said');
    const info = await wrong.client.finish();
    expect(info).toMatchObject({
      error: true,
      reason: expect.stringMatching(/Cannot log in as george: wrong/),
    });
    await watcher.waitForLine(/left/);
    expect(watcher.lines.join('\n')).not.toMatch(/must not be said/);
  });

  it('does the same over UDP', async () => {
    const server = await room({ udp: true });
    const claim = await rocket(server.address.port, 'george', 'muddy puddles', true);
    await claim.client.loggedIn();
    await claim.client.finish();
    const heard: string[] = [];
    const watcher = dgram.createSocket('udp4');
    cleanups.push(() => watcher.close());
    watcher.on('message', (m) => heard.push(...m.toString().split('\n')));
    watcher.send('/nick watcher\n', server.address.port, '127.0.0.1');
    await waitUntil(watcher, 'message', () => heard.some((l) => l.startsWith('*** In the room')));
    const plain = dgram.createSocket('udp4');
    cleanups.push(() => plain.close());
    plain.send('/login george muddy puddles\nhello over udp\n', server.address.port, '127.0.0.1');
    await waitUntil(watcher, 'message', () => heard.some((l) => l.endsWith('> hello over udp')));
    expect(heard.filter((l) => l.endsWith('> hello over udp'))).toEqual(['<george> hello over udp']);

    const wrong = await rocket(server.address.port, 'george', 'not the secret', true);
    wrong.client.say('must not be said');
    expect(await wrong.client.finish()).toMatchObject({ error: true });
    expect(heard.join('\n')).not.toMatch(/must not be said/);
  });

  it('signs a letter sent over UDP at once with the nick being logged in to, not the guest', async () => {
    const server = await room({ udp: true });
    const peppa = await rocket(server.address.port, 'peppa', 'oink oink', true);
    await peppa.client.loggedIn();
    await peppa.client.finish();
    const claim = await rocket(server.address.port, 'george', 'muddy puddles', true);
    await claim.client.loggedIn();
    await claim.client.finish();
    // A second time the nick is taken, so the room checks the secret off the event loop first.
    const george = await rocket(server.address.port, 'george', 'muddy puddles', true);
    await george.client.sendLetter('peppa', 'sent before the login was decided');
    await george.client.finish();
    const back = await rocket(server.address.port, 'peppa', 'oink oink', true);
    await inboxEnd(back.client, back.events);
    expect(letters(back.events)).toEqual([
      expect.objectContaining({ from: 'george', text: 'sent before the login was decided' }),
    ]);
  });

  it('holds a UDP rocket’s requests that come with its login until the login is decided', async () => {
    const server = await room({ udp: true });
    for (const [nick, secret] of [
      ['peppa', 'oink oink'],
      ['george', 'muddy puddles'],
    ] as const) {
      const claim = await rocket(server.address.port, nick, secret, true);
      await claim.client.loggedIn();
      await claim.client.finish();
    }
    // Another client's way: the hello with the secret and a letter in the same instant.
    const raw = dgram.createSocket('udp4');
    cleanups.push(() => raw.close());
    const stored = new Promise<void>((resolve) =>
      raw.on('message', (m) => m.toString().includes('"stored"') && resolve()),
    );
    const hello = { type: 'hello', version: 1, client: 'test', nick: 'george', password: 'muddy puddles' };
    raw.send(encodeDatagram(hello as never), server.address.port, '127.0.0.1');
    raw.send(
      encodeDatagram({ type: 'mail', id: 'raw-1', to: 'peppa', text: 'in the same instant' }),
      server.address.port,
      '127.0.0.1',
    );
    await stored;
    const back = await rocket(server.address.port, 'peppa', 'oink oink', true);
    await inboxEnd(back.client, back.events);
    expect(letters(back.events)).toEqual([
      expect.objectContaining({ from: 'george', text: 'in the same instant' }),
    ]);
  });

  it('shuts an address out after repeated failures, without checking, and serves other addresses', async () => {
    const server = await room();
    await georgeRegistered(server);
    const guesser = await LineClient.connect(server.address.port);
    cleanups.push(() => guesser.destroy());
    // One connection, one write: the guesses are checked one after another.
    guesser.send(Array.from({ length: 8 }, (_, i) => `/login george guess-${i}\n`).join(''));
    await guesser.waitForLine(/too many failed logins from 127\.0\.0\.1; try again in \d+ s/);
    const refusals = guesser.lines.filter((l) => l.startsWith('!!! '));
    expect(refusals.slice(0, 5).every((l) => /wrong nickname or secret/.test(l))).toBe(true);
    // From another address, george's own login goes through at once.
    const home = await new Promise<LineClient>((resolve, reject) => {
      const socket = net.connect(
        { port: server.address.port, host: '127.0.0.1', localAddress: '127.0.0.2' },
        () => resolve(LineClient.wrap(socket)),
      );
      socket.once('error', reject);
    });
    cleanups.push(() => home.destroy());
    home.send('/login george muddy puddles\n');
    await home.waitForLine(/logged in as george/);
  });
});
