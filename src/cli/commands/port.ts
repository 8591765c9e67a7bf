import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import {
  AVAILABILITY_LABELS,
  checkPort,
  describePort,
  findFreePort,
  formatPortList,
  lookupService,
  type PortAvailability,
  parsePortNumber,
  type ServiceEntry,
  type ServicePorts,
  suggestServiceNames,
} from '../../netutil/index.js';

interface PortOptions {
  free?: boolean;
  udp?: boolean;
  json?: boolean;
}

type Protocol = 'tcp' | 'udp';

interface PortStatus {
  port: number;
  protocol: Protocol;
  availability: PortAvailability;
  label: string;
}

/** Checking every port of a service that spans a range (x11 has 64) would say little; name one instead. */
const MAX_STATUS_CHECKS = 4;

export function registerPort(program: Command): void {
  program
    .command('port')
    .description('look up a port or a service name (IANA, free or in use here), or find a free port')
    .argument('[port-or-service]', 'a port number 0-65535, or a service name such as ssh or redis')
    .option('--free', 'print one port that is free on this machine right now, and nothing else')
    .option('--udp', 'check (or find) the port for UDP instead of TCP')
    .option('--json', 'print JSON instead of text')
    .addHelpText(
      'after',
      `
For a number, rocket tells its class (well-known 0-1023, registered 1024-49151,
dynamic/private 49152-65535), the services registered for it at IANA, and whether it is
free on this machine: it tries to bind the port and says "free", "in use" or "reserved,
needs administrator rights". For a name, it tells the service's port(s).
The service table comes from the IANA registry (data/services.json).

Examples:
  rocket port 8888
  rocket port ssh
  rocket port 53 --udp
  rocket port --free
  rocket port --free --udp --json`,
    )
    .action(async (query: string | undefined, options: PortOptions) => {
      const protocol: Protocol = options.udp ? 'udp' : 'tcp';
      if (options.free) {
        if (query !== undefined)
          throw new UsageError(`cannot use --free with a port or service ("${query}"): use one or the other`);
        const port = await findFreePort({ protocol });
        process.stdout.write(options.json ? `${JSON.stringify({ port, protocol })}\n` : `${port}\n`);
        return;
      }
      if (query === undefined) {
        throw new UsageError(
          'give a port number or a service name, e.g. rocket port 8888 or rocket port ssh; or --free',
        );
      }
      if (/^[\d\s.,+-]+$/.test(query)) await reportPort(parsePortNumber(query), protocol, options.json);
      else await reportService(query, protocol, options.json);
    });
}

async function reportPort(port: number, protocol: Protocol, json = false): Promise<void> {
  const info = describePort(port);
  const status = port === 0 ? null : await statusOf(port, protocol);
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...info, status }, null, 2)}\n`);
    return;
  }
  const lines = [
    `Port ${port}`,
    `  class:   ${info.classLabel}`,
    `  tcp:     ${formatServices(info.services.tcp)}`,
    `  udp:     ${formatServices(info.services.udp)}`,
    `  status:  ${status ? formatStatus(status) : 'port 0 is not a real port: binding it asks the OS for any free port'}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function reportService(query: string, protocol: Protocol, json = false): Promise<void> {
  const service = lookupService(query);
  if (!service) throw unknownService(query);
  const ports = service[protocol];
  const statuses =
    ports.length <= MAX_STATUS_CHECKS ? await Promise.all(ports.map((p) => statusOf(p, protocol))) : [];
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...service, status: statuses }, null, 2)}\n`);
    return;
  }
  const lines = [`${service.name}${service.description ? `: ${service.description}` : ''}`];
  if (service.alias)
    lines.push(`  ("${service.alias}" is a common name; IANA registers it as ${service.name})`);
  lines.push(`  tcp:     ${service.tcp.length > 0 ? formatPortList(service.tcp) : '-'}`);
  lines.push(`  udp:     ${service.udp.length > 0 ? formatPortList(service.udp) : '-'}`);
  lines.push(...classLines(service));
  if (ports.length === 0) lines.push(`  status:  not registered for ${protocol}`);
  else if (statuses.length === 0)
    lines.push(`  status:  check one port at a time, e.g. rocket port ${ports[0]}`);
  for (const status of statuses) lines.push(`  status:  ${formatStatus(status)}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

function classLines(service: ServicePorts): string[] {
  const ports = [...new Set([...service.tcp, ...service.udp])].sort((a, b) => a - b);
  const classes = [...new Set(ports.map((p) => describePort(p).classLabel))];
  return classes.length === 1 ? [`  class:   ${classes[0]}`] : [];
}

async function statusOf(port: number, protocol: Protocol): Promise<PortStatus> {
  const availability = await checkPort(port, { protocol });
  return { port, protocol, availability, label: AVAILABILITY_LABELS[availability] };
}

function formatStatus(status: PortStatus): string {
  const where = `${status.port}/${status.protocol}`;
  switch (status.availability) {
    case 'free':
      return `${where} is free on this machine`;
    case 'in-use':
      return `${where} is in use on this machine (something listens on it)`;
    case 'needs-admin':
      return `${where} is reserved, needs administrator rights to listen on`;
  }
}

/** "http, www, www-http - World Wide Web HTTP": names that share a description are grouped. */
function formatServices(services: ServiceEntry[]): string {
  if (services.length === 0) return '- (none registered at IANA)';
  const groups = new Map<string, string[]>();
  for (const s of services) groups.set(s.description, [...(groups.get(s.description) ?? []), s.name]);
  return [...groups]
    .map(([description, names]) => (description ? `${names.join(', ')} - ${description}` : names.join(', ')))
    .join('; ');
}

function unknownService(query: string): UsageError {
  const suggestions = suggestServiceNames(query);
  const didYouMean = suggestions.length > 0 ? `did you mean ${suggestions.join(', ')}? Otherwise ` : '';
  return new UsageError(
    `unknown service "${query}": not in the IANA registry; ${didYouMean}give a port number, e.g. rocket port 8888`,
  );
}
