import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { bindUdp } from '../../src/transport/udp-socket.js';

const sockets: dgram.Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

describe('bindUdp', () => {
  // Its sockets answer IP literals without dns.lookup; a name must still be resolved.
  it('sends to an IP literal and to a host name, with and without a callback', async () => {
    const room = await bindUdp({ host: '127.0.0.1', port: 0 });
    sockets.push(room);
    const peer = dgram.createSocket('udp4');
    sockets.push(peer);
    await new Promise<void>((resolve) => peer.bind(0, '127.0.0.1', resolve));
    const got: string[] = [];
    const all = new Promise<void>((resolve) =>
      peer.on('message', (m) => {
        got.push(m.toString());
        if (got.length === 3) resolve();
      }),
    );
    const { port } = peer.address();
    room.send('literal', port, '127.0.0.1');
    const sent = await new Promise<Error | null>((resolve) =>
      room.send('literal with callback', port, '127.0.0.1', (err) => resolve(err)),
    );
    expect(sent).toBeNull();
    room.send('name', port, 'localhost');
    await all;
    expect(got.sort()).toEqual(['literal', 'literal with callback', 'name']);
  });
});
