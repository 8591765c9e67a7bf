import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { checkPort, findFreePort } from '../../../src/netutil/port-status.js';
import { closedTcpPort, type LocalServer, listenTcp, silentUdp } from './local-servers.js';

const opened: LocalServer[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

describe('checkPort', () => {
  it('says in-use for a port a server holds, even on 127.0.0.1 only', async () => {
    const server = await listenTcp();
    opened.push(server);
    expect(await checkPort(server.port)).toBe('in-use');
    expect(await checkPort(server.port, { host: '127.0.0.1' })).toBe('in-use');
  });

  it('says free for a port nobody holds, and leaves it free', async () => {
    const port = await closedTcpPort();
    expect(await checkPort(port)).toBe('free');
    expect(await checkPort(port)).toBe('free');
  });

  it('checks UDP separately from TCP', async () => {
    const udp = await silentUdp();
    opened.push(udp);
    expect(await checkPort(udp.port, { protocol: 'udp', host: '127.0.0.1' })).toBe('in-use');
  });

  it('refuses port 0 and out-of-range ports with a RangeError', async () => {
    await expect(checkPort(0)).rejects.toThrow(RangeError);
    await expect(checkPort(70000)).rejects.toThrow(RangeError);
  });

  it('says why for an address that is not local', async () => {
    await expect(checkPort(8888, { host: '203.0.113.77' })).rejects.toMatchObject({
      code: 'ROCKET_ERR_ADDRESS_NOT_LOCAL',
    });
  });
});

describe('findFreePort', () => {
  it('gives a TCP port that can be listened on', async () => {
    const port = await findFreePort({ host: '127.0.0.1' });
    expect(port).toBeGreaterThan(0);
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });

  it('gives a UDP port that can be bound', async () => {
    const port = await findFreePort({ protocol: 'udp', host: '127.0.0.1' });
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => socket.close(resolve));
  });
});
