import type { Command } from 'commander';
import { RocketError } from '../../errors.js';
import { type InterfaceAddress, listInterfaces } from '../../netutil/index.js';

interface IpOptions {
  json?: boolean;
  ipv4?: boolean;
  ipv6?: boolean;
}

export function registerIp(program: Command): void {
  program
    .command('ip')
    .description("show this machine's addresses, and what kind each one is")
    .option('-4, --ipv4', 'IPv4 addresses only')
    .option('-6, --ipv6', 'IPv6 addresses only')
    .option('--json', 'print a JSON array, one object per address')
    .addHelpText(
      'after',
      `
Each address is shown with its prefix length (CIDR), the interface's MAC and its class:
loopback (this machine only), private LAN, link-local, shared address space
(carrier-grade NAT), private LAN (IPv6 unique local), public, and so on. Other machines
on your network can usually reach you at a "private LAN" address.

Examples:
  rocket ip
  rocket ip -4
  rocket ip -6
  rocket ip --json`,
    )
    .action((options: IpOptions) => {
      let addresses = listInterfaces();
      if (options.ipv4 && !options.ipv6) addresses = addresses.filter((a) => a.family === 'IPv4');
      if (options.ipv6 && !options.ipv4) addresses = addresses.filter((a) => a.family === 'IPv6');
      if (options.json) {
        process.stdout.write(`${JSON.stringify(addresses, null, 2)}\n`);
        return;
      }
      if (addresses.length === 0) {
        throw new RocketError(
          'ROCKET_ERR_IO',
          'Cannot list addresses: the OS reports no network interface with an address',
        );
      }
      process.stdout.write(formatTable(addresses));
    });
}

function formatTable(addresses: InterfaceAddress[]): string {
  const rows = [
    ['INTERFACE', 'FAMILY', 'ADDRESS', 'MAC', 'CLASS'],
    ...addresses.map((a) => [a.interface, a.family, a.cidr, a.mac ?? '-', a.classLabel]),
  ];
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  // The last column is not padded, so lines carry no trailing spaces.
  const lines = rows.map((r) =>
    r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]!))).join('  '),
  );
  return `${lines.join('\n')}\n`;
}
