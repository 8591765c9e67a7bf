import { describe, expect, it } from 'vitest';
import { resolveHost } from '../../../src/netutil/resolve.js';

describe('resolveHost', () => {
  it('returns IP addresses as they are, brackets removed', async () => {
    expect(await resolveHost('127.0.0.1')).toEqual({ host: '127.0.0.1', address: '127.0.0.1', family: 4 });
    expect(await resolveHost('[::1]')).toEqual({ host: '::1', address: '::1', family: 6 });
  });

  it('resolves localhost to a loopback address of the family asked for', async () => {
    expect(await resolveHost('localhost', 4)).toMatchObject({
      host: 'localhost',
      address: '127.0.0.1',
      family: 4,
    });
  });

  it('refuses an address of the other family as a usage error', async () => {
    await expect(resolveHost('127.0.0.1', 6)).rejects.toMatchObject({ exitCode: 2 });
  });

  it('says unknown host for a name that does not exist (RFC 6761 .invalid)', async () => {
    await expect(resolveHost('no-such-host.invalid')).rejects.toMatchObject({
      code: 'ROCKET_ERR_UNKNOWN_HOST',
      message: expect.stringMatching(/^Cannot resolve host "no-such-host.invalid": /),
    });
  });

  it('refuses an empty host', async () => {
    await expect(resolveHost('  ')).rejects.toMatchObject({ exitCode: 2 });
  });
});
