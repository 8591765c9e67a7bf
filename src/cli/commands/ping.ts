import type { Command } from 'commander';
import {
  DEFAULT_PING_PORT,
  type PingProbe,
  type PingSummary,
  PingTally,
  pingHost,
  resolveHost,
} from '../../netutil/index.js';
import { formatHostPort } from '../../transport/socket-errors.js';
import { parseTarget } from '../host-port.js';
import { addressFamily, parsePeerPort, parsePositiveInt, parseSeconds, parseTimeout } from '../options.js';

interface PingOptions {
  count: number;
  interval: number;
  timeout: number;
  udp?: boolean;
  json?: boolean;
  ipv4?: boolean;
  ipv6?: boolean;
}

export function registerPing(program: Command): void {
  program
    .command('ping')
    .description('time TCP handshakes (or UDP pings to a rocket) to a host and port')
    .argument('<host>', 'name or IP address (or HOST:PORT)')
    .argument('[port]', `port to probe (default ${DEFAULT_PING_PORT})`, parsePeerPort)
    .option('-c, --count <n>', 'probes to send; 0 = until Ctrl-C', parseCount, 4)
    .option('-i, --interval <seconds>', 'time between probes', parseSeconds, 1)
    .option('-W, --timeout <seconds>', 'how long to wait for each answer', parseTimeout, 2)
    .option('--udp', 'ping a rocket UDP listener (it answers pings) instead of timing a TCP handshake')
    .option('-4, --ipv4', 'use the IPv4 address of the host')
    .option('-6, --ipv6', 'use the IPv6 address of the host')
    .option('--json', 'print one JSON object per probe, then a summary object')
    .addHelpText(
      'after',
      `
Each probe opens a TCP connection and times the handshake, then closes it without
sending anything; no ICMP and no administrator rights needed. A refused connection
means the host is up but nothing listens on the port: it counts as an answer
("host is up, port closed"). With --udp, rocket sends a ping datagram that a rocket
UDP listener answers with a pong; another UDP service that answers (an echo service) is a
reply "not from a rocket room", and one that stays silent makes the probe time out.
Ctrl-C stops early and prints the summary.

Exit status: 0 if at least one probe reached a listener (connected, or a UDP reply),
1 if none did (port closed, timeouts, unknown host), 2 for a usage error.

Examples:
  rocket ping 127.0.0.1
  rocket ping 127.0.0.1 8888 -c 3
  rocket ping example.com 443 -c 10 -i 0.2 --timeout 1
  rocket ping 192.168.1.20 8888 --udp
  rocket ping localhost -4 -c 0
  rocket ping localhost 8888 -6 --json`,
    )
    .action(async (hostArgument: string, portArgument: number | undefined, options: PingOptions) => {
      const protocol = options.udp ? 'udp' : 'tcp';
      const { host, port: probePort } = parseTarget(hostArgument, portArgument, DEFAULT_PING_PORT);
      const target = await resolveHost(host, addressFamily(options));
      if (!options.json) {
        const shown = target.host === target.address ? target.address : `${target.host} (${target.address})`;
        process.stdout.write(`PING ${shown} port ${probePort} (${protocol})\n`);
      }

      // Ctrl-C ends the run and still prints the summary, as ping does; a second one quits at once.
      const stop = new AbortController();
      const onSigint = (): void => {
        if (stop.signal.aborted) process.exit(130);
        stop.abort();
      };
      process.on('SIGINT', onSigint);
      const tally = new PingTally();
      try {
        for await (const probe of pingHost({
          host: target.address,
          port: probePort,
          protocol,
          count: options.count,
          intervalMs: options.interval * 1000,
          timeoutMs: options.timeout * 1000,
          signal: stop.signal,
        })) {
          tally.add(probe);
          process.stdout.write(
            options.json
              ? `${JSON.stringify({ type: 'probe', ...probe, host: target.host })}\n`
              : `${formatProbe(probe, options.timeout)}\n`,
          );
        }
      } finally {
        process.off('SIGINT', onSigint);
      }

      const summary = tally.summary();
      const where = `${target.host} port ${probePort} (${protocol})`;
      if (options.json) {
        const { host: name, address } = target;
        process.stdout.write(
          `${JSON.stringify({ type: 'summary', host: name, address, port: probePort, protocol, ...summary })}\n`,
        );
      } else {
        process.stdout.write(formatSummary(where, protocol, summary));
      }
      if (summary.open === 0) {
        process.stderr.write(`rocket: ${explainFailure(target.address, probePort, protocol, summary)}\n`);
        process.exitCode = 1;
      }
    });
}

function parseCount(value: string): number {
  return value.trim() === '0' ? Number.POSITIVE_INFINITY : parsePositiveInt(value);
}

function formatMs(ms: number): string {
  return ms < 10 ? ms.toFixed(3) : ms < 100 ? ms.toFixed(2) : ms.toFixed(1);
}

function formatProbe(probe: PingProbe, timeoutSeconds: number): string {
  const where = `${formatHostPort(probe.address, probe.port)} (${probe.protocol})`;
  const time = probe.timeMs === undefined ? '' : ` time=${formatMs(probe.timeMs)} ms`;
  switch (probe.state) {
    case 'open':
      if (probe.foreign)
        return `reply from ${where}: seq=${probe.seq}, not from a rocket room (no pong)${time}`;
      return `${probe.protocol === 'tcp' ? 'connected to' : 'reply from'} ${where}: seq=${probe.seq}${time}`;
    case 'closed': {
      const why = probe.protocol === 'tcp' ? 'connection refused' : 'ICMP port unreachable';
      return `${where}: seq=${probe.seq} host is up, port closed (${why})${time}`;
    }
    case 'timeout':
      return `${where}: seq=${probe.seq} no answer within ${timeoutSeconds} s (timeout)`;
    case 'unreachable':
      return `${where}: seq=${probe.seq} unreachable (${probe.error})`;
    case 'error':
      return `${where}: seq=${probe.seq} failed (${probe.error})`;
  }
}

function formatSummary(where: string, protocol: string, s: PingSummary): string {
  const kinds = [`${s.open} ${protocol === 'tcp' ? 'connected' : 'replied'}`];
  if (s.closed > 0) kinds.push(`${s.closed} port closed`);
  const loss = Number.isInteger(s.lossPercent) ? String(s.lossPercent) : s.lossPercent.toFixed(1);
  const lines = [
    '',
    `--- ${where} ping statistics ---`,
    `${s.sent} ${s.sent === 1 ? 'probe' : 'probes'} sent, ${s.received} answered (${kinds.join(', ')}), ${loss}% loss`,
  ];
  if (s.rtt) {
    const { min, avg, max, mdev } = s.rtt;
    lines.push(`rtt min/avg/max/mdev = ${[min, avg, max, mdev].map(formatMs).join('/')} ms`);
  }
  return `${lines.join('\n')}\n`;
}

function explainFailure(address: string, port: number, protocol: string, s: PingSummary): string {
  const where = `${formatHostPort(address, port)} (${protocol})`;
  if (s.sent === 0) return `no probe was sent to ${where}`;
  if (s.closed > 0) return `host is up, but nothing listens on ${where}`;
  const udpHint = protocol === 'udp' ? '; only a rocket UDP listener answers pings' : '';
  return `no answer from ${where}${udpHint}`;
}
