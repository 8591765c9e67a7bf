import net from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertCliBuilt, spawnCli } from '../helpers/spawn-cli.js';
import { type LocalServer, listenTcp } from '../unit/netutil/local-servers.js';

beforeAll(assertCliBuilt);

const opened: LocalServer[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

describe('rocket port <number>', () => {
  it('shows class and IANA services of port 22', async () => {
    const r = await spawnCli(['port', '22']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Port 22$/m);
    expect(r.stdout).toMatch(/class: +well-known \(0-1023\)/);
    expect(r.stdout).toMatch(/tcp: +ssh - The Secure Shell \(SSH\) Protocol/);
    expect(r.stdout).toMatch(/status: +22\/tcp is (free|in use|reserved)/);
    expect(r.stderr).toBe('');
  });

  it('says in use for a port a server holds', async () => {
    const server = await listenTcp();
    opened.push(server);
    const r = await spawnCli(['port', String(server.port)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${server.port}/tcp is in use on this machine`);
  });

  it('gives JSON with class, services and status', async () => {
    const server = await listenTcp();
    opened.push(server);
    const r = await spawnCli(['port', String(server.port), '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info).toMatchObject({
      port: server.port,
      status: { port: server.port, protocol: 'tcp', availability: 'in-use', label: 'in use' },
    });
    expect(['registered', 'dynamic']).toContain(info.class);
    const http = JSON.parse((await spawnCli(['port', '80', '--json'])).stdout);
    expect(http.services.tcp.map((s: { name: string }) => s.name)).toEqual(['http', 'www', 'www-http']);
  });

  it('rejects 99999 with one line on stderr, exit 2, no stack', async () => {
    const r = await spawnCli(['port', '99999']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toEqual(['rocket: port 99999 is out of range: ports go from 0 to 65535']);
  });

  it('rejects a number that is not whole', async () => {
    const r = await spawnCli(['port', '80.5']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/"80.5" is not a port number/);
  });
});

describe('rocket port <service>', () => {
  it('gives the port of ssh and of redis', async () => {
    const ssh = await spawnCli(['port', 'ssh']);
    expect(ssh.code).toBe(0);
    expect(ssh.stdout).toMatch(/^ssh: The Secure Shell \(SSH\) Protocol$/m);
    expect(ssh.stdout).toMatch(/tcp: +22$/m);
    const redis = await spawnCli(['port', 'Redis']);
    expect(redis.stdout).toMatch(/tcp: +6379$/m);
    expect(redis.stdout).toMatch(/status: +6379\/tcp is /);
  });

  it('gives JSON for a service', async () => {
    const r = await spawnCli(['port', 'http-alt', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({
      name: 'http-alt',
      tcp: [591, 8008, 8080],
      udp: [591, 8008, 8080],
    });
  });

  it('suggests a name for a misspelled one, in one line, exit 2', async () => {
    const r = await spawnCli(['port', 'reddis']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^rocket: unknown service "reddis": .*did you mean .*redis/);
  });
});

describe('rocket port --free', () => {
  it('prints only a port number that can then be listened on', async () => {
    const r = await spawnCli(['port', '--free']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+\n$/);
    const port = Number(r.stdout);
    expect(port).toBeGreaterThan(0);
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });

  it('finds a UDP port too, as JSON', async () => {
    const r = await spawnCli(['port', '--free', '--udp', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ port: expect.any(Number), protocol: 'udp' });
  });

  it('refuses --free with a port, and no argument at all, as usage errors', async () => {
    const both = await spawnCli(['port', '--free', '80']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/cannot use --free with a port or service/);
    const none = await spawnCli(['port']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/give a port number or a service name/);
  });
});
