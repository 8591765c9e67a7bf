import { EventEmitter, once } from 'node:events';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import type { Readable, Writable } from 'node:stream';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { connectChat } from '../../src/client/chat-client.js';
import type { ChatConnection } from '../../src/client/types.js';
import { isRocketError } from '../../src/errors.js';
import type { ChatEvent } from '../../src/protocol/events.js';
import { rawConnect, rawListen } from '../../src/raw/index.js';
import { type RoomServer, type RoomServerOptions, startRoomServer } from '../../src/server/room-server.js';
import {
  certificateFingerprint,
  loadServerCertificate,
  parseFingerprint,
} from '../../src/transport/certificates.js';
import { KnownHosts, knownHostsPath, type PinResult } from '../../src/transport/known-hosts.js';
import {
  connectTls,
  listenTls,
  PLAIN_CLIENT_NOTICE,
  type TlsClientOptions,
  type TlsServerOptions,
} from '../../src/transport/tls.js';
import { LineClient } from '../helpers/line-client.js';
import { ByteSink, payloadStream, randomPayload, sha256 } from '../helpers/raw-streams.js';
import { createTestCa, type TestCa, tempDir } from '../helpers/test-pki.js';
import { waitUntil } from '../helpers/wait.js';

const cleanups: Array<() => unknown> = [];

/** `rocket listen --raw --tls` on a free port: the port once bound, and the transfer's promise. */
async function rawTlsListener(
  certificate: Parameters<typeof rawListen>[0]['tls'],
  input: Readable,
  output: Writable,
): Promise<{ port: number; listening: ReturnType<typeof rawListen> }> {
  let onPort!: (port: number) => void;
  const bound = new Promise<number>((resolve) => {
    onPort = resolve;
  });
  const listening = rawListen({
    host: '127.0.0.1',
    port: 0,
    tls: certificate,
    input,
    output,
    onListening: ({ port }) => onPort(port),
  });
  return { port: await bound, listening };
}
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function temp(): string {
  const dir = tempDir();
  cleanups.push(() => dir.remove());
  return dir.path;
}

/** The certificate a room would make for itself in a fresh data folder. */
async function selfSigned(dataDir = temp()) {
  return loadServerCertificate({ dataDir });
}

async function tlsRoom(tlsOptions: TlsServerOptions, options: Partial<RoomServerOptions> = {}) {
  const server = await startRoomServer({ port: 0, host: '127.0.0.1', tls: tlsOptions, ...options });
  cleanups.push(() => server.close());
  return server;
}

async function join(
  server: RoomServer | number,
  nick: string,
  tlsOptions: TlsClientOptions | undefined,
): Promise<{ client: ChatConnection; events: ChatEvent[] }> {
  const port = typeof server === 'number' ? server : server.address.port;
  const client = await connectChat({ host: '127.0.0.1', port, nick, tls: tlsOptions });
  cleanups.push(() => client.destroy());
  const events: ChatEvent[] = [];
  client.on('event', (e) => events.push(e));
  await waitUntil(client, 'event', () => events.some((e) => e.type === 'welcome'), 5000, 'welcome');
  return { client, events };
}

function waitForMessage(client: ChatConnection, events: ChatEvent[], text: string): Promise<void> {
  return waitUntil(
    client,
    'event',
    () => events.some((e) => e.type === 'message' && e.text === text),
    5000,
    `the message "${text}"`,
  );
}

/** Resolves with the RocketError a promise rejects with. */
async function rocketError(promise: Promise<unknown>) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isRocketError(err)) throw new Error(`expected a RocketError, got ${String(err)}`);
  return err;
}

/** A TCP relay between a client and `targetPort` that records every byte both ways. */
async function capturingProxy(targetPort: number): Promise<{ port: number; captured(): Buffer }> {
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(from);
      from.on('data', (chunk: Buffer) => {
        chunks.push(Buffer.from(chunk));
        to.write(chunk);
      });
      from.on('end', () => to.end());
      from.on('error', () => to.destroy());
      from.on('close', () => to.destroy());
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as net.AddressInfo).port, captured: () => Buffer.concat(chunks) };
}

describe('self-signed certificate', () => {
  it('is made once, kept with a private key file, and reused on the next start', async () => {
    const dataDir = temp();
    const first = await loadServerCertificate({ dataDir });
    expect(first.created).toBe(true);
    expect(first.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(first.fingerprint).toBe(certificateFingerprint(readFileSync(first.certFile, 'utf8')));
    if (process.platform !== 'win32') expect(statSync(first.keyFile).mode & 0o777).toBe(0o600);

    const second = await loadServerCertificate({ dataDir });
    expect(second.created).toBe(false);
    expect(second.fingerprint).toBe(first.fingerprint);
  });

  it('names localhost and the loopback addresses, so a CA-style check of it can pass', async () => {
    const { cert } = await selfSigned();
    const subjectAltName = new (await import('node:crypto')).X509Certificate(cert).subjectAltName;
    expect(subjectAltName).toContain('DNS:localhost');
    expect(subjectAltName).toContain('IP Address:127.0.0.1');
  });

  it('refuses a data folder that holds a certificate without its key', async () => {
    const dataDir = temp();
    const { keyFile } = await loadServerCertificate({ dataDir });
    rmSync(keyFile);
    const err = await rocketError(loadServerCertificate({ dataDir }));
    expect(err.code).toBe('ROCKET_ERR_TLS');
    expect(err.message).toContain('tls-cert.pem is there but');
  });

  it('refuses a --cert and --key that do not belong together, naming both files', async () => {
    const a = await selfSigned();
    const b = await selfSigned();
    const err = await rocketError(
      loadServerCertificate({ certFile: a.certFile, keyFile: b.keyFile, dataDir: temp() }),
    );
    expect(err.message).toBe(
      `Cannot use ${a.certFile} with ${b.keyFile}: the key does not belong to the certificate`,
    );
  });

  it('refuses a key of another kind than the certificate’s (RSA with an EC certificate)', async () => {
    const { certFile } = await selfSigned();
    const { generateKeyPairSync } = await import('node:crypto');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyFile = `${temp()}/rsa.key`;
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const err = await rocketError(loadServerCertificate({ certFile, keyFile, dataDir: temp() }));
    expect(err.message).toBe(
      `Cannot use ${certFile} with ${keyFile}: the key does not belong to the certificate`,
    );
  });

  it('reads fingerprints written as rocket, OpenSSH or openssl write them', async () => {
    const { cert, fingerprint } = await selfSigned();
    const colonHex = new (await import('node:crypto')).X509Certificate(cert).fingerprint256;
    expect(parseFingerprint(fingerprint)).toBe(fingerprint);
    expect(parseFingerprint(colonHex)).toBe(fingerprint);
    expect(parseFingerprint(colonHex.replace(/:/g, '').toLowerCase())).toBe(fingerprint);
    expect(parseFingerprint('SHA256:too-short')).toBeUndefined();
  });
});

describe('TLS room', () => {
  it('carries messages between two rocket clients that pinned its certificate', async () => {
    const certificate = await selfSigned();
    const server = await tlsRoom({ cert: certificate.cert, key: certificate.key });
    const knownHostsFile = knownHostsPath(temp());
    const pins: PinResult[] = [];
    const trust = { knownHostsFile, onPinned: (p: PinResult) => pins.push(p) };
    const peppa = await join(server, 'peppa', trust);
    const george = await join(server, 'george', trust);
    expect(pins.map((p) => p.status)).toEqual(['pinned', 'known']);
    expect(pins[0]).toMatchObject({
      hostPort: `127.0.0.1:${server.address.port}`,
      fingerprint: certificate.fingerprint,
    });
    expect(readFileSync(knownHostsFile, 'utf8')).toBe(
      `127.0.0.1:${server.address.port} ${certificate.fingerprint}\n`,
    );

    peppa.client.say('hello George, over TLS');
    await waitForMessage(george.client, george.events, 'hello George, over TLS');
    george.client.say('hi Peppa');
    await waitForMessage(peppa.client, peppa.events, 'hi Peppa');
    expect(george.events.find((e) => e.type === 'message')).toMatchObject({ from: 'peppa' });
  });

  it('sends nothing readable: neither the message nor the nick appears in the bytes on the wire', async () => {
    const certificate = await selfSigned();
    const server = await tlsRoom({ cert: certificate.cert, key: certificate.key });
    const proxy = await capturingProxy(server.address.port);
    const secret = 'the treasure is under the muddy puddle';
    const nick = 'peppa_pig';
    const watcher = await join(server, 'george', { fingerprint: certificate.fingerprint });
    const peppa = await join(proxy.port, nick, { fingerprint: certificate.fingerprint });
    peppa.client.say(secret);
    await waitForMessage(watcher.client, watcher.events, secret);
    watcher.client.say(`reply to ${nick}: ${secret}`);
    await waitForMessage(peppa.client, peppa.events, `reply to ${nick}: ${secret}`);
    await peppa.client.finish();

    const wire = proxy.captured();
    expect(wire.length).toBeGreaterThan(1000); // the handshake and the records did go through the proxy
    for (const needle of [secret, nick, 'rocket/1', 'treasure']) {
      expect(wire.includes(Buffer.from(needle, 'utf8'))).toBe(false);
      expect(wire.includes(Buffer.from(needle, 'utf16le'))).toBe(false);
    }
  });

  it('the same capture of a plain room does show the text (the proxy sees everything)', async () => {
    const server = await startRoomServer({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => server.close());
    const proxy = await capturingProxy(server.address.port);
    const peppa = await join(proxy.port, 'peppa_pig', undefined);
    peppa.client.say('the treasure is under the muddy puddle');
    await peppa.client.finish();
    const wire = proxy.captured();
    expect(wire.includes(Buffer.from('the treasure is under the muddy puddle'))).toBe(true);
    expect(wire.includes(Buffer.from('peppa_pig'))).toBe(true);
  });

  it('refuses a changed certificate, naming the pinned and the new fingerprint', async () => {
    const certificate = await selfSigned();
    const server = await tlsRoom({ cert: certificate.cert, key: certificate.key });
    const knownHostsFile = knownHostsPath(temp());
    const previous = (await selfSigned()).fingerprint; // what an earlier room on this port showed
    new KnownHosts(knownHostsFile).pin('127.0.0.1', server.address.port, previous);

    const err = await rocketError(
      connectChat({ host: '127.0.0.1', port: server.address.port, tls: { knownHostsFile } }),
    );
    expect(err.code).toBe('ROCKET_ERR_TLS_UNTRUSTED');
    expect(err.message).toContain(previous);
    expect(err.message).toContain(certificate.fingerprint);
    expect(err.message).toMatch(/CHANGED/);
    expect(err.message).not.toContain('\n');
    // The pin stays as it was: a refused certificate is never written down.
    expect(new KnownHosts(knownHostsFile).lookup('127.0.0.1', server.address.port)).toBe(previous);
  });

  it('refuses a certificate that is not the --fingerprint given, and accepts the right one', async () => {
    const certificate = await selfSigned();
    const server = await tlsRoom({ cert: certificate.cert, key: certificate.key });
    const wrong = (await selfSigned()).fingerprint;
    const err = await rocketError(
      connectChat({ host: '127.0.0.1', port: server.address.port, tls: { fingerprint: wrong } }),
    );
    expect(err.code).toBe('ROCKET_ERR_TLS_UNTRUSTED');
    expect(err.message).toContain(`its certificate is ${certificate.fingerprint}, not the ${wrong}`);
    const { client } = await join(server, 'peppa', { fingerprint: certificate.fingerprint });
    expect(client.mode).toBe('rocket');
  });

  it('fails a plain rocket client clearly even when the notice comes after it gave up on a greeting', async () => {
    const certificate = await selfSigned();
    // The room tells a silent client after 0.6 s; the client waits only 0.2 s for a greeting.
    const server = await tlsRoom({ cert: certificate.cert, key: certificate.key, helloTimeoutMs: 600 });
    for (const speaks of [false, true]) {
      const client = await connectChat({
        host: '127.0.0.1',
        port: server.address.port,
        nick: 'peppa',
        detectMs: 200,
      });
      cleanups.push(() => client.destroy());
      const heard: ChatEvent[] = [];
      client.on('event', (event) => heard.push(event));
      await waitUntil(client, 'mode', () => client.mode === 'plain', 5000, 'plain mode');
      if (speaks) client.say('hi'); // piped input: the room hears plain text and answers at once
      const info = await client.closed;
      expect(info).toMatchObject({
        error: true,
        reason: expect.stringContaining('speaks TLS: use rocket connect --tls'),
      });
      expect(heard.filter((event) => event.type === 'message')).toEqual([]); // not shown as a chat line
    }
  });

  it('tells a plain client with nothing to say, at once (connect < /dev/null)', async () => {
    const certificate = await selfSigned();
    // A long hello timeout: the notice must come from the client's end of input, not the timer.
    const server = await tlsRoom({ cert: certificate.cert, key: certificate.key, helloTimeoutMs: 60_000 });
    const client = await connectChat({ host: '127.0.0.1', port: server.address.port, detectMs: 200 });
    cleanups.push(() => client.destroy());
    const info = await client.finish(); // the end of an empty stdin
    expect(info).toMatchObject({
      error: true,
      reason: expect.stringContaining('speaks TLS: use rocket connect --tls'),
    });
  });

  it('tells a plain client the port speaks TLS, reports it, and goes on serving TLS clients', async () => {
    const certificate = await selfSigned();
    const reports: string[] = [];
    const server = await tlsRoom({
      cert: certificate.cert,
      key: certificate.key,
      helloTimeoutMs: 300,
      onClientError: (message) => reports.push(message),
    });
    const talker = await LineClient.connect(server.address.port);
    cleanups.push(() => talker.destroy());
    talker.send('/nick peppa\n');
    expect(await talker.waitForLine(/./)).toBe(PLAIN_CLIENT_NOTICE.trimEnd());
    await talker.waitForClose();
    expect(reports).toEqual([
      expect.stringMatching(/^127\.0\.0\.1:\d+ spoke plain text to the TLS port; closed$/),
    ]);

    // nc and a plain rocket wait for the room to speak first: they are told too, after a moment.
    const silent = await LineClient.connect(server.address.port);
    cleanups.push(() => silent.destroy());
    expect(await silent.waitForLine(/./)).toBe(PLAIN_CLIENT_NOTICE.trimEnd());
    await silent.waitForClose();
    expect(reports[1]).toMatch(/sent nothing for 0\.3 s .*; closed$/);

    const { client } = await join(server, 'george', { fingerprint: certificate.fingerprint });
    expect(client.mode).toBe('rocket');
  });

  it('gives a TLS client of a plain room one clear error, and the room shows none of its bytes', async () => {
    const server = await startRoomServer({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => server.close());
    const member = await LineClient.connect(server.address.port);
    cleanups.push(() => member.destroy());
    await member.waitForLine(/^\*\*\* In the room/);

    const err = await rocketError(
      connectChat({
        host: '127.0.0.1',
        port: server.address.port,
        tls: { fingerprint: parseFingerprint('0'.repeat(64)) },
      }),
    );
    expect(err.code).toBe('ROCKET_ERR_TLS');
    expect(err.message).toBe(
      `Cannot connect to 127.0.0.1:${server.address.port} (tls): 127.0.0.1:${server.address.port} does not speak TLS (is it a plain rocket room? leave out --tls)`,
    );
    // The room is still fine, and nobody saw a guest's binary hello.
    const { client } = await join(server, 'peppa', undefined);
    client.say('still here');
    await member.waitForLine(/^<peppa> still here$/);
    expect(member.lines.filter((line) => line.startsWith('<') && !line.startsWith('<peppa>'))).toEqual([]);
    expect(member.lines.join('\n')).not.toMatch(/guest-\d+ joined/);
  });

  it('refuses TLS over UDP with a usage error', async () => {
    const certificate = await selfSigned();
    const err = await rocketError(
      startRoomServer({
        port: 0,
        host: '127.0.0.1',
        udp: true,
        tls: { cert: certificate.cert, key: certificate.key },
      }),
    );
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/nothing over UDP is encrypted/);
  });
});

describe('TLS with a certificate authority', () => {
  let ca: TestCa;
  const pki = async () => {
    ca ??= await createTestCa();
    return ca;
  };

  it('verifies the room against --ca and its name, without pinning', async () => {
    const authority = await pki();
    const issued = await authority.issue({ commonName: 'room.test', names: ['localhost', '127.0.0.1'] });
    const server = await tlsRoom(issued);
    const { client } = await join(server, 'peppa', { ca: authority.cert });
    expect(client.mode).toBe('rocket');
  });

  it('refuses a room whose certificate another CA signed', async () => {
    const issued = await (await pki()).issue({ commonName: 'room.test', names: ['127.0.0.1'] });
    const server = await tlsRoom(issued);
    const otherCa = await createTestCa('some other CA');
    const err = await rocketError(
      connectChat({ host: '127.0.0.1', port: server.address.port, tls: { ca: otherCa.cert } }),
    );
    expect(err.code).toBe('ROCKET_ERR_TLS_UNTRUSTED');
    expect(err.message).toMatch(
      /\(tls\): its certificate is not signed by a CA you trust \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/,
    );
  });

  it('says a plain echo service does not speak TLS (it sends our hello back)', async () => {
    const echo = net.createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => echo.close(resolve)));
    const { port } = echo.address() as net.AddressInfo;
    const err = await rocketError(
      connectChat({ host: '127.0.0.1', port, tls: { knownHostsFile: `${temp()}/known` } }),
    );
    expect(err.message).toMatch(/does not speak TLS/);
  });

  it('refuses a certificate for another name', async () => {
    const authority = await pki();
    const issued = await authority.issue({ commonName: 'elsewhere.test', names: ['elsewhere.test'] });
    const server = await tlsRoom(issued);
    const err = await rocketError(
      connectChat({ host: '127.0.0.1', port: server.address.port, tls: { ca: authority.cert } }),
    );
    expect(err.code).toBe('ROCKET_ERR_TLS_UNTRUSTED');
    expect(err.message).toMatch(
      /its certificate is not for this name: it is for DNS:elsewhere\.test, not 127\.0\.0\.1$/,
    );
  });

  it('with a CA on the room side, lets in a client certificate it signed and refuses a client without one', async () => {
    const authority = await pki();
    const roomCert = await authority.issue({ commonName: 'room.test', names: ['127.0.0.1'] });
    const reports: string[] = [];
    const reported = new EventEmitter();
    const onClientError = (message: string): void => {
      reports.push(message);
      reported.emit('report');
    };
    const server = await tlsRoom({ ...roomCert, ca: authority.cert, onClientError });
    const clientCert = await authority.issue({ commonName: 'peppa', client: true });
    const { client } = await join(server, 'peppa', { ca: authority.cert, ...clientCert });
    expect(client.mode).toBe('rocket');

    // TLS 1.3 finishes the client's side first; the refusal arrives as the connection ends.
    const stranger = await connectChat({
      host: '127.0.0.1',
      port: server.address.port,
      tls: { ca: authority.cert },
    }).then(
      (c) => c.closed,
      (err: Error) => ({ reason: err.message }),
    );
    expect(stranger.reason).toMatch(/asks for a client certificate/);
    await waitUntil(reported, 'report', () => reports.length > 0, 5000, "the room's report");
    expect(reports[0]).toMatch(/^127\.0\.0\.1:\d+: TLS handshake failed: it sent no client certificate/);

    // A certificate from another authority: the room hangs up without a word.
    const elsewhere = await (await createTestCa('another CA')).issue({ commonName: 'mallory', client: true });
    const impostor = await connectChat({
      host: '127.0.0.1',
      port: server.address.port,
      tls: { ca: authority.cert, ...elsewhere },
    }).then(
      (c) => c.finish(), // as piped input does: the room never greets, and hangs up
      (err: Error) => ({ reason: err.message, error: true }),
    );
    expect(impostor).toMatchObject({
      error: true,
      reason: expect.stringMatching(/did not accept your client certificate|certificate/),
    });
  });
});

describe('TLS transport', () => {
  it('says when the two sides share no TLS version', async () => {
    const certificate = await selfSigned();
    const server = await listenTls({ host: '127.0.0.1', port: 0, tls: certificate }, (s) => s.destroy());
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as net.AddressInfo).port;
    // An old client that stops at TLS 1.2, against the room's default minimum of 1.3.
    const old = tls.connect({ host: '127.0.0.1', port, maxVersion: 'TLSv1.2', rejectUnauthorized: false });
    const [oldErr] = (await once(old, 'error')) as [NodeJS.ErrnoException];
    expect(oldErr.code).toMatch(/ALERT_PROTOCOL_VERSION/);
    // rocket itself with --tls-min 1.2 still gets 1.3 from a 1.3 room.
    const socket = await connectTls({
      host: '127.0.0.1',
      port,
      tls: { fingerprint: certificate.fingerprint, minVersion: 'TLSv1.2' },
    });
    expect(socket.getProtocol()).toBe('TLSv1.3');
    socket.destroy();
  });

  it('raw mode moves bytes exactly both ways, with half-close, over TLS', async () => {
    const certificate = await selfSigned();
    const toServer = randomPayload(3 * 1024 * 1024 + 17);
    const toClient = randomPayload(1024 * 1024 + 5);
    const serverOut = new ByteSink(false);
    const clientOut = new ByteSink(false);
    const { port, listening } = await rawTlsListener(certificate, payloadStream(toClient), serverOut);
    const [sent, received] = await Promise.all([
      rawConnect({
        host: '127.0.0.1',
        port,
        tls: { fingerprint: certificate.fingerprint },
        input: payloadStream(toServer),
        output: clientOut,
      }),
      listening,
    ]);
    expect(sent.bytesSent).toBe(toServer.length);
    expect(received.bytesReceived).toBe(toServer.length);
    expect(serverOut.digest()).toBe(sha256(toServer));
    expect(clientOut.digest()).toBe(sha256(toClient));
  });

  it('a raw TLS receiver with nothing to send waits for the sender’s end (socat -u stops at our close_notify)', async () => {
    const certificate = await selfSigned();
    const data = randomPayload(4 * 1024 * 1024 + 3);
    const out = new ByteSink(false);
    // `rocket listen --raw --tls < /dev/null`
    const { port, listening } = await rawTlsListener(certificate, payloadStream(Buffer.alloc(0)), out);
    // Like socat -u / ncat --send-only: it writes the file, and the moment it hears the
    // other side's close_notify it drops the connection, whatever it had not sent yet.
    const sender = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    sender.on('error', () => {});
    sender.on('end', () => sender.destroy());
    sender.once('secureConnect', () => sender.end(data));
    const received = await listening;
    expect(received.bytesReceived).toBe(data.length);
    expect(out.digest()).toBe(sha256(data));
  });

  it('raw mode refuses TLS over UDP', async () => {
    const err = await rocketError(rawConnect({ host: '127.0.0.1', port: 9, udp: true, tls: {} }));
    expect(err.exitCode).toBe(2);
  });

  it('known_hosts keeps other hosts when a pin is replaced, and ignores comments', async () => {
    const file = knownHostsPath(temp());
    writeFileSync(file, '# rocket known hosts\nexample.org:8888 SHA256:old\n');
    const hosts = new KnownHosts(file);
    hosts.pin('LOCALHOST', 9000, 'SHA256:first');
    hosts.pin('localhost', 9000, 'SHA256:second');
    expect(hosts.lookup('localhost', 9000)).toBe('SHA256:second');
    expect(hosts.lookup('example.org', 8888)).toBe('SHA256:old');
    expect(hosts.lookup('::1', 9000)).toBeUndefined();
    hosts.pin('::1', 9000, 'SHA256:v6');
    expect(readFileSync(file, 'utf8')).toContain('[::1]:9000 SHA256:v6');
  });
});

describe('who may come in, over TLS', () => {
  it('turns a denied address away before any TLS handshake, and serves the others', async () => {
    const certificate = await selfSigned();
    const notes: string[] = [];
    const server = await tlsRoom(
      { cert: certificate.cert, key: certificate.key, onClientError: (m) => notes.push(m) },
      { admission: { deny: ['127.0.0.2'] } },
    );
    // A raw TCP connection from the denied address: closed without a byte of TLS from the room.
    const denied = net.connect({ port: server.address.port, host: '127.0.0.1', localAddress: '127.0.0.2' });
    const received: Buffer[] = [];
    denied.on('data', (d) => received.push(d));
    denied.on('error', () => {});
    denied.write(Buffer.from([0x16, 0x03, 0x01])); // the start of a ClientHello
    await once(denied, 'close');
    expect(Buffer.concat(received).length).toBe(0);
    expect(
      notes.some((n) => /127\.0\.0\.2 turned away before TLS: 127\.0\.0\.2 is not allowed/.test(n)),
    ).toBe(true);
    const { events } = await join(server, 'allowed', { fingerprint: certificate.fingerprint });
    expect(events.some((e) => e.type === 'welcome')).toBe(true);
  });
});
