import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createTcpLink, LinkGroup } from '../../src/transport/tcp-link.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server-side socket whose peer never reads. */
async function neverReadPeer(): Promise<net.Socket> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  client.pause();
  const socket = await accepted;
  cleanups.push(
    () => client.destroy(),
    () => socket.destroy(),
  );
  return socket;
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error('condition never became true');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** How long the group holds its reading back for a link that takes 16 MiB and never drains. */
async function heldFor(group: LinkGroup): Promise<number> {
  const link = createTcpLink(await neverReadPeer(), group);
  const started = performance.now();
  link.write(Buffer.alloc(16 * 1024 * 1024));
  await until(() => group.isCongested, 5000);
  await until(() => !group.isCongested, 5000);
  return performance.now() - started;
}

describe('room-wide backpressure', () => {
  it('waits for the first stuck member in full, and only briefly for the next ones', async () => {
    const group = new LinkGroup({ stallMs: 1000, waryStallMs: 50, waryMs: 10_000 });
    const first = await heldFor(group);
    const second = await heldFor(group);
    const third = await heldFor(group);
    expect(first).toBeGreaterThanOrEqual(950);
    expect(second).toBeLessThan(first / 2);
    expect(third).toBeLessThan(first / 2);
  });
});
