import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type RoomServer, startRoomServer } from '../../src/server/room-server.js';
import { LineClient } from '../helpers/line-client.js';

// Requests shaped to break a careless handler: each once crashed the whole room (found by a
// crash drill). A room must answer them, ignore them or drop their sender, and go on serving.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const nestedSeq = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

const hostile: Record<string, string> = {
  'a receipt whose id is an object': '{"type":"received","ids":[{"toString":1}]}',
  'a quit whose text is an object': '{"type":"quit","text":{"toString":1}}',
  'a ping whose seq is nested 30,000 deep': `{"type":"ping","seq":${nestedSeq(30_000)}}`,
};

async function room(udp: boolean): Promise<RoomServer> {
  const server = await startRoomServer({ port: 0, host: '127.0.0.1', udp });
  cleanups.push(() => server.close());
  return server;
}

/** Two plain members, and proof that a line from one still reaches the other. */
async function twoMembers(port: number) {
  const [alice, bob] = await Promise.all([LineClient.connect(port), LineClient.connect(port)]);
  cleanups.push(
    () => alice.destroy(),
    () => bob.destroy(),
  );
  await alice.waitForLine(/^\*\*\* In the room/);
  await bob.waitForLine(/^\*\*\* In the room/);
  return {
    async stillServed(): Promise<void> {
      alice.send('still here\n');
      await bob.waitForLine(/still here/);
    },
  };
}

function frame(json: string): Buffer {
  const body = Buffer.from(json, 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

/** A rocket that says hello, sends `json`, then a ping; resolves on the pong or the close. */
function tcpAttack(port: number, json: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    cleanups.push(() => socket.destroy());
    let seen = '';
    let sent = false;
    socket.on('data', (chunk) => {
      seen += chunk.toString('latin1');
      if (!sent && seen.includes('\n')) {
        sent = true;
        socket.write(
          Buffer.concat([Buffer.from('ROCKET/1 HELLO\n'), frame(json), frame('{"type":"ping","seq":7}')]),
        );
      }
      if (seen.includes('"pong"')) resolve('pong');
    });
    socket.on('close', () => resolve('closed'));
    socket.on('error', reject);
  });
}

describe('hostile rocket frames over TCP', () => {
  for (const [name, json] of Object.entries(hostile)) {
    it(`${name} costs at most its sender the connection`, async () => {
      const server = await room(false);
      const members = await twoMembers(server.address.port);
      expect(['pong', 'closed']).toContain(await tcpAttack(server.address.port, json));
      await members.stillServed();
    });
  }
});

describe('hostile rocket datagrams over UDP', () => {
  for (const [name, json] of Object.entries(hostile)) {
    it(`${name} is ignored or answered, and the room goes on`, async () => {
      const server = await room(true);
      const port = server.address.port;
      const socket = dgram.createSocket('udp4');
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      cleanups.push(() => socket.close());
      const pong = new Promise<string>((resolve) =>
        socket.on('message', (m) => {
          // The hostile ping itself gets a bare pong: only numbers are echoed.
          if (m.toString('utf8').includes('"seq":7')) resolve(m.toString('utf8'));
        }),
      );
      socket.send(Buffer.from(`RKT1${json}`), port, '127.0.0.1');
      socket.send(Buffer.from('RKT1{"type":"ping","seq":7,"ts":1}'), port, '127.0.0.1');
      expect(JSON.parse((await pong).slice(4))).toEqual({ type: 'pong', seq: 7, ts: 1 });

      // The room still relays between two plain peers.
      const a = dgram.createSocket('udp4');
      const b = dgram.createSocket('udp4');
      await Promise.all([a, b].map((s) => new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve))));
      cleanups.push(
        () => a.close(),
        () => b.close(),
      );
      const heard = new Promise<void>((resolve) =>
        b.on('message', (m) => {
          if (m.toString('utf8').includes('still here')) resolve();
        }),
      );
      const greeted = new Promise((resolve) => b.once('message', resolve));
      b.send('hello from b\n', port, '127.0.0.1');
      await greeted; // b is known first, so it has joined when a's held first words go out
      a.send('still here\n', port, '127.0.0.1');
      await heard;
    });
  }
});
