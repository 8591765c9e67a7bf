import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanupAll,
  type Peer,
  spawnCli,
  spawnPeer,
  spawnPython,
  startRoom,
  textDecoder,
} from '../helpers/processes.js';

/**
 * rocket against the tutorial's own Python programs (test/peers/python/, written the way
 * the tutorial writes them: utf-8 one way, gbk the other, recv(1024), no newlines) and
 * against nc -u.
 */

afterEach(cleanupAll);

/** "hello George 你好\n" in GBK, written out so no codec of ours makes it. */
const GBK_TYPED_LINE = Buffer.concat([
  Buffer.from('hello George '),
  Buffer.from('c4e3bac3', 'hex'),
  Buffer.from('\n'),
]);

async function pythonPort(peer: Peer): Promise<number> {
  const line = await peer.stdout.waitFor(/^listening \d+$/);
  return Number(line.split(' ')[1]);
}

describe("the tutorial's TCP programs", () => {
  it('rocket listen --recv-encoding utf-8 --send-encoding gbk serves the tutorial TCP client', async () => {
    const { room, port } = await startRoom([
      '--nick',
      'george',
      '--json',
      '--recv-encoding',
      'utf-8',
      '--send-encoding',
      'gbk',
    ]);
    // Sends "你好，乔治" as utf-8 with no newline, reads recv(1024).decode('gbk').
    const peppa = spawnPython('tcp_client.py', ['127.0.0.1', String(port), '你好，乔治', '--linger', '10']);

    const said = await room.stdout.waitForJson((e) => e.type === 'message' && e.text === '你好，乔治', {
      what: "the tutorial client's message",
    });
    expect(said.from).toMatch(/^guest-\d+$/);
    // The greeting reached it and decoded as gbk (strict: a decode error ends the program).
    await peppa.stdout.waitFor(/rocket\/1 /);

    await room.write('佩奇你好，我是乔治\n');
    await peppa.stdout.waitFor(/<george> 佩奇你好，我是乔治$/);

    room.signal('SIGTERM');
    await peppa.stdout.waitFor(/The room is closing\. Goodbye/);
    await peppa.stdout.waitFor(/^closed$/);
    expect(await peppa.waitExit()).toEqual({ code: 0, signal: null });
    expect(peppa.stderr.text).toBe('');
    expect((await room.waitExit()).code).toBe(0);
  });

  it('rocket connect --recv-encoding gbk talks to the tutorial TCP server and sends only the typed line', async () => {
    const reply = '你好佩奇，我是乔治';
    const george = spawnPython('tcp_server.py', ['127.0.0.1', '0', reply]);
    const port = await pythonPort(george);

    const peppa = spawnCli(['connect', '127.0.0.1', String(port), '--recv-encoding', 'gbk']);
    await peppa.write('hello George 你好\n');
    peppa.endInput();

    expect(await peppa.waitExit(10_000)).toEqual({ code: 0, signal: null });
    expect(peppa.stdout.lines).toContain(`<127.0.0.1:${port}> ${reply}`);
    expect(peppa.stderr.text).toBe('');

    await george.stdout.waitFor(/^closed$/);
    expect(george.stdout.lines).toContain('客户端:hello George 你好');
    // Everything rocket sent: the typed line in utf-8 and its newline, and nothing else.
    const received = george.stdout.matching(/^received /)[0];
    expect(received).toBe(`received ${Buffer.from('hello George 你好\n', 'utf8').toString('hex')}`);
    expect((await george.waitExit()).code).toBe(0);
  });
});

describe("the tutorial's UDP programs and nc -u", () => {
  it('a UDP room hears the tutorial UDP client and nc -u, and answers each at its own address', async () => {
    const { room, port } = await startRoom([
      '--udp',
      '--nick',
      'george',
      '--json',
      '--recv-encoding',
      'utf-8',
      '--send-encoding',
      'gbk',
    ]);
    const peppa = spawnPython('udp_client.py', ['127.0.0.1', String(port), '你好，乔治', '--linger', '10']);
    const said = await room.stdout.waitForJson((e) => e.type === 'message' && e.text === '你好，乔治', {
      what: "the tutorial UDP client's message",
    });
    const peppaNick = String(said.from);
    expect(peppaNick).toMatch(/^guest-\d+$/);

    // nc -u reads the room's gbk lines; decode them as gbk.
    const bob = spawnPeer('nc', ['-u', '127.0.0.1', String(port)], {
      name: 'nc -u as bob',
      stdoutDecoder: textDecoder('gbk'),
    });
    await bob.write('/nick bob\n');
    await bob.stdout.waitFor(/is now known as bob$/);
    await bob.write('hello from nc\n');
    await room.stdout.waitForJson(
      (e) => e.type === 'message' && e.from === 'bob' && e.text === 'hello from nc',
    );
    await peppa.stdout.waitFor(/<bob> hello from nc/);

    await room.write('你们好，我是乔治\n');
    await bob.stdout.waitFor(/^<george> 你们好，我是乔治$/);
    const heard = await peppa.stdout.waitFor(/<george> 你们好，我是乔治/);
    // recvfrom's address: the room answered from the port the client sent to.
    expect(heard).toMatch(new RegExp(`^\\[from 127\\.0\\.0\\.1:${port}\\] 服务器说:<george> `));
    expect(peppa.stderr.text).toBe('');
  });

  it('rocket connect --udp talks to the tutorial UDP server', async () => {
    const reply = '你好佩奇，我是乔治';
    const george = spawnPython('udp_server.py', ['127.0.0.1', '0', reply]);
    const port = await pythonPort(george);

    const peppa = spawnCli(['connect', '127.0.0.1', String(port), '--udp', '--encoding', 'gbk', '-q', '1']);
    await peppa.write('hello George 你好\n');
    peppa.endInput();

    await george.stdout.waitFor(/^客户端说:hello George 你好$/);
    const received = await george.stdout.waitFor(/^received /);
    expect(received).toMatch(
      new RegExp(`^received ${GBK_TYPED_LINE.toString('hex')} from 127\\.0\\.0\\.1:\\d+$`),
    );
    await peppa.stdout.waitFor(new RegExp(`^<127\\.0\\.0\\.1:${port}> ${reply}$`));
    expect(await peppa.waitExit(10_000)).toEqual({ code: 0, signal: null });
    expect(george.stdout.matching(/^received /)).toHaveLength(1);
  });
});

describe('a Python client that encodes each line with str.encode("utf-16")', () => {
  it('is read as UTF-16 right after its /encoding line, without the BOM before every line', async () => {
    const { room, port } = await startRoom(['--no-store', '--json']);
    // Each encode() call starts with a BOM: mid-stream too, where no decoder strips it. One
    // write: the bytes after "/encoding utf-16" come in the same read, and are UTF-16 too.
    const script = [
      'import socket, sys',
      's = socket.create_connection(("127.0.0.1", int(sys.argv[1])))',
      's.sendall(b"/encoding utf-16\\n" + "/nick bom16\\n".encode("utf-16") + "hello George 你好\\n".encode("utf-16"))',
      'print("sent", flush=True)',
      'sys.stdin.read()',
    ].join('\n');
    const peppa = spawnPeer('python3', ['-c', script, String(port)]);
    await peppa.stdout.waitFor(/^sent$/);
    const said = await room.stdout.waitForJson((e) => e.type === 'message');
    expect(said).toMatchObject({ from: 'bom16', text: 'hello George 你好' });
    peppa.endInput();
  });
});
