import { beforeAll, describe, expect, it } from 'vitest';
import { assertCliBuilt, spawnCli } from '../helpers/spawn-cli.js';

beforeAll(assertCliBuilt);

describe('rocket ip', () => {
  it('prints a JSON array with the IPv4 loopback classified as loopback', async () => {
    const r = await spawnCli(['ip', '--json']);
    expect(r.code).toBe(0);
    const addresses = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(addresses).toContainEqual(
      expect.objectContaining({
        address: '127.0.0.1',
        cidr: '127.0.0.1/8',
        prefixLength: 8,
        class: 'loopback',
      }),
    );
    for (const a of addresses) {
      expect(a).toEqual(
        expect.objectContaining({
          interface: expect.any(String),
          family: expect.stringMatching(/^IPv[46]$/),
          classLabel: expect.any(String),
        }),
      );
    }
  });

  it('prints a table with a header and the loopback row', async () => {
    const r = await spawnCli(['ip']);
    expect(r.code).toBe(0);
    const [header, ...rows] = r.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^INTERFACE +FAMILY +ADDRESS +MAC +CLASS$/);
    expect(rows.some((row) => /\bIPv4 +127\.0\.0\.1\/8 +\S+ +loopback$/.test(row))).toBe(true);
    expect(rows.every((row) => !/\s$/.test(row))).toBe(true);
  });

  it('filters to one family with -4 and -6', async () => {
    const v4 = JSON.parse((await spawnCli(['ip', '-4', '--json'])).stdout) as Array<{ family: string }>;
    expect(v4.length).toBeGreaterThan(0);
    expect(v4.every((a) => a.family === 'IPv4')).toBe(true);
    const v6 = JSON.parse((await spawnCli(['ip', '-6', '--json'])).stdout) as Array<{ family: string }>;
    expect(v6.every((a) => a.family === 'IPv6')).toBe(true);
  });
});
