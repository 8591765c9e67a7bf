import { beforeAll, describe, expect, it } from 'vitest';
import { assertCliBuilt, spawnCli } from '../helpers/spawn-cli.js';

beforeAll(assertCliBuilt);

describe('help of the network commands', () => {
  it.each([
    ['ip', ['--json', '-4, --ipv4', '-6, --ipv6']],
    ['port', ['--free', '--udp', '--json']],
    [
      'ping',
      ['-c, --count', '-i, --interval', '-W, --timeout', '--udp', '--json', '-4, --ipv4', '-6, --ipv6'],
    ],
    ['scan', ['-W, --timeout', '--concurrency', '--all', '--json', '-4, --ipv4', '-6, --ipv6']],
  ])('rocket %s --help lists every option and examples, on stdout, exit 0', async (command, options) => {
    const r = await spawnCli([command, '--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    for (const option of options) expect(r.stdout).toContain(option);
    expect(r.stdout).toMatch(new RegExp(`Examples:\\n  rocket ${command}`));
  });

  it('documents the exit status of ping', async () => {
    const r = await spawnCli(['ping', '--help']);
    expect(r.stdout).toMatch(/Exit status: 0 if at least one probe reached a listener/);
  });
});
