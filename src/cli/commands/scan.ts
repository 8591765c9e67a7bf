import { type Command, InvalidArgumentError } from 'commander';
import {
  DEFAULT_SCAN_CONCURRENCY,
  MAX_SCAN_CONCURRENCY,
  parsePortList,
  resolveHost,
  type ScanResult,
  scanPorts,
} from '../../netutil/index.js';
import { addressFamily, parsePositiveInt, parseTimeout } from '../options.js';

interface ScanOptions {
  timeout: number;
  concurrency: number;
  all?: boolean;
  json?: boolean;
  ipv4?: boolean;
  ipv6?: boolean;
}

export function registerScan(program: Command): void {
  program
    .command('scan')
    .description('find which TCP ports of a host are open')
    .argument('<host>', 'name or IP address')
    .argument('<ports>', 'ports and ranges, e.g. 22,80,8000-8100 (0-65535 scans them all)')
    .option('-W, --timeout <seconds>', 'how long to wait for each port to answer', parseTimeout, 1)
    .option(
      '--concurrency <n>',
      `connection attempts in flight at once (at most ${MAX_SCAN_CONCURRENCY})`,
      parseConcurrency,
      DEFAULT_SCAN_CONCURRENCY,
    )
    .option('--all', 'list closed and filtered ports too, not only open ones')
    .option('-4, --ipv4', 'use the IPv4 address of the host')
    .option('-6, --ipv6', 'use the IPv6 address of the host')
    .option('--json', 'print one JSON object with the results')
    .addHelpText(
      'after',
      `
Each port gets a TCP connection attempt, closed at once without sending anything:
"open" means the handshake completed, "closed" that the host answered with a reset,
"filtered" that nothing answered in time (a firewall may drop the probes; try a longer
--timeout). The service column is what IANA registers for the port, not a check of
what actually listens there. Scan only hosts you are allowed to scan.

Examples:
  rocket scan 127.0.0.1 8000-8100
  rocket scan 192.168.1.20 22,80,443,8888 --timeout 0.5
  rocket scan localhost 1-65535 -4 --concurrency 500
  rocket scan 127.0.0.1 8880-8890 --all --json`,
    )
    .action(async (host: string, spec: string, options: ScanOptions) => {
      // Both arguments are checked before any packet is sent.
      const ports = parsePortList(spec);
      const target = await resolveHost(host, addressFamily(options));
      const started = performance.now();
      const results = await scanPorts(target.address, ports, {
        timeoutMs: options.timeout * 1000,
        concurrency: options.concurrency,
      });
      const durationMs = performance.now() - started;
      const counts = { open: 0, closed: 0, filtered: 0 };
      for (const r of results) counts[r.state]++;
      const shown = options.all ? results : results.filter((r) => r.state === 'open');

      if (options.json) {
        const report = {
          host: target.host,
          address: target.address,
          protocol: 'tcp',
          scanned: results.length,
          ...counts,
          durationMs: Math.round(durationMs),
          results: shown,
        };
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      const name = target.host === target.address ? target.address : `${target.host} (${target.address})`;
      const lines = shown.length > 0 ? formatTable(shown) : ['No open ports.'];
      lines.push(
        '',
        `${results.length} ${results.length === 1 ? 'port' : 'ports'} of ${name} scanned in ${(durationMs / 1000).toFixed(2)} s: ` +
          `${counts.open} open, ${counts.closed} closed, ${counts.filtered} filtered`,
      );
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}

function parseConcurrency(value: string): number {
  const n = parsePositiveInt(value);
  if (n > MAX_SCAN_CONCURRENCY) {
    throw new InvalidArgumentError(`at most ${MAX_SCAN_CONCURRENCY}: each attempt holds a file descriptor`);
  }
  return n;
}

function formatTable(results: ScanResult[]): string[] {
  const rows = [
    ['PORT', 'STATE', 'SERVICE'],
    ...results.map((r) => [`${r.port}/tcp`, r.state, r.services.join(', ') || '-']),
  ];
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows.map((r) =>
    r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]!))).join('  '),
  );
}
