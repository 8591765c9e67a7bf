import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI_PATH } from '../helpers/spawn-cli.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listening(server: net.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as net.AddressInfo).port;
}

/** Resolves with the first `size` bytes read from `socket`. */
function readBytes(socket: net.Socket, size: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      got += chunk.length;
      if (got >= size) {
        socket.off('data', onData);
        resolve(Buffer.concat(chunks).subarray(0, size));
      }
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`closed after ${got} of ${size} bytes`)));
  });
}

describe('rocket connect --raw run the inetd way', () => {
  it('relays both ways when stdin and stdout are one socket (inetd, socat EXEC:, nc -e)', async () => {
    // The far side: takes 64 KiB, then answers.
    const target = net.createServer(async (socket) => {
      await readBytes(socket, 64 * 1024);
      socket.write('REPLY\n');
    });
    const targetPort = await listening(target);

    // The near side: a connection whose other end becomes rocket's stdin and stdout.
    const accepted = new Promise<net.Socket>((resolve) => {
      const front = net.createServer((socket) => resolve(socket));
      void listening(front).then((port) => {
        const inner = net.connect(port, '127.0.0.1', () => {
          const child = spawn(
            process.execPath,
            [CLI_PATH, 'connect', '127.0.0.1', String(targetPort), '--raw'],
            {
              stdio: [inner, inner, 'ignore'],
            },
          );
          cleanups.push(() => child.kill('SIGKILL'));
          inner.destroy(); // the child has its own copy of the descriptor
        });
      });
    });
    const user = await accepted;
    cleanups.push(() => user.destroy());
    const reply = readBytes(user, 6);
    user.write(Buffer.alloc(64 * 1024, 0x78));
    expect((await reply).toString()).toBe('REPLY\n');
  });
});
