import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { LocalMember } from '../../chat/local-member.js';
import { UsageError } from '../../errors.js';
import { rawListen, stdoutWaitsForReader } from '../../raw/index.js';
import { startRoomServer } from '../../server/room-server.js';
import { formatHostPort, isWildcardAddress } from '../../transport/socket-errors.js';
import { ChatConsole } from '../chat-console.js';
import { addSharedChatOptions, checkChatFlags, type SharedChatFlags } from '../chat-options.js';
import { parsePort, parsePositiveInt, parseSeconds } from '../options.js';
import { readPassword } from '../password.js';
import { rawAbortSignal } from '../signals.js';
import {
  addTlsOptions,
  checkTlsFlags,
  describeServerCertificate,
  serverTlsFromFlags,
  type TlsFlags,
} from '../tls-options.js';
import { limitYoungGeneration } from '../young-generation.js';

/** Repeatable options collect into a list. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

interface ListenFlags extends SharedChatFlags, TlsFlags {
  passwordFile?: string;
  q?: number;
  allow?: string[];
  deny?: string[];
  maxConns: number;
  maxConnsPerIp?: number;
  maxMessageBytes: number;
  rate: number;
  rateBytes: number;
  idleTimeout: number;
  host?: string;
  keepOpen?: boolean;
  store: boolean;
  dataDir?: string;
  quota: number;
  maxLetterBytes: number;
  retentionDays: number;
}

export function registerListen(program: Command): void {
  const command = program
    .command('listen')
    .description(
      "start a chat room (George's side): anyone can join with rocket, nc, telnet or a socket program",
    )
    .argument('[port]', 'port to listen on', parsePort, 8888)
    .option('--host <addr>', 'listen on this address only (default: every interface, IPv6 and IPv4)')
    .option('--keep-open', 'with --raw: serve the next connection after one ends')
    .option(
      '-q <seconds>',
      'with --raw: after the end of input, wait this long, then quit (nc -q)',
      parseSeconds,
    )
    .option('--data-dir <dir>', 'where letters and accounts are kept (default: your per-user data folder)')
    .option('--no-store', 'keep letters in memory only: they are lost when the room stops')
    .option('--quota <n>', 'letters that may wait for one person', parsePositiveInt, 100_000)
    .option('--max-letter-bytes <n>', 'longest letter accepted', parsePositiveInt, 64 * 1024)
    .option('--retention-days <n>', 'letters older than this are dropped', parsePositiveInt, 30)
    .option(
      '--password-file <file>',
      'a room password (or set ROCKET_ROOM_PASSWORD): nobody gets in without it',
    )
    .option('--allow <cidr>', 'only these addresses may connect, e.g. 192.168.0.0/24 (repeatable)', collect)
    .option(
      '--deny <cidr>',
      'these addresses may not connect, e.g. 10.0.0.7 or fd00::/8 (repeatable)',
      collect,
    )
    .option('--max-conns <n>', 'connections at once', parsePositiveInt, 20_000)
    .option(
      '--max-conns-per-ip <n>',
      'connections at once from one address (default: 1000; over UDP, 100 peers)',
      parsePositiveInt,
    )
    .option(
      '--max-message-bytes <n>',
      'longest message; longer lines are refused',
      parsePositiveInt,
      64 * 1024,
    )
    .option(
      '--rate <n>',
      'messages a second one connection may send before it is slowed down',
      parsePositiveInt,
      100,
    )
    .option(
      '--rate-bytes <n>',
      'bytes a second one connection may send before it is slowed down',
      parsePositiveInt,
      1024 * 1024,
    )
    .option(
      '--idle-timeout <seconds>',
      'close connections that send nothing this long (0: never)',
      parseSeconds,
      1800,
    );
  addSharedChatOptions(command).addHelpText(
    'after',
    `
Examples:
  rocket listen                         a room on port 8888, every interface
  rocket listen 9000 --nick george      a room on port 9000; you are "george"
  rocket listen --udp                   the same room over UDP datagrams
  rocket listen --recv-encoding utf-8 --send-encoding gbk
                                        serve the tutorial's client (sends utf-8, reads gbk)
  rocket listen 9000 --raw > file       receive one connection's bytes, like nc -l
  rocket listen --json                  every event as a JSON line, for scripts
  rocket listen --data-dir ./letters    keep letters and accounts in ./letters/room-tcp-8888.db
  rocket listen --no-store              letters only in memory (lost on restart)
  rocket listen --password-file ~/.room --allow 192.168.0.0/24
                                        only people on the LAN who know the room password

In the room type a message and press Enter; /help lists /nick, /who, /msg, /me,
/encoding and /quit. Ctrl-C closes the room and says goodbye to everyone.`,
  );
  addTlsOptions(command, 'listen');
  command.action(async (port: number, flags: ListenFlags) => {
    const encodings = checkChatFlags(flags);
    checkTlsFlags(flags, 'listen');
    const secure = await serverTlsFromFlags(flags, flags.host);
    if (flags.keepOpen && !flags.raw)
      throw new UsageError('--keep-open goes with --raw (a room always stays open)');
    if (flags.keepOpen && flags.udp)
      throw new UsageError(
        '--keep-open is for TCP: a UDP pipe hears every sender already, one after another',
      );
    if (flags.q !== undefined && !flags.raw)
      throw new UsageError('-q goes with --raw (a room stays open until stopped)');
    checkDataDirIsUsed(flags);
    const protocol = flags.udp ? 'udp' : 'tcp';
    if (flags.raw) {
      const stats = rawListen({
        host: flags.host,
        port,
        udp: flags.udp,
        keepOpen: flags.keepOpen,
        tls: secure?.tls,
        signal: rawAbortSignal(stdoutWaitsForReader()),
        quitAfterEofMs: flags.q === undefined ? undefined : flags.q * 1000,
        onConnectionError: (err) => process.stderr.write(`rocket: ${err.message}\n`),
        input: process.stdin,
        output: process.stdout,
        progress: flags.progress || process.stderr.isTTY ? process.stderr : undefined,
        onListening: (address) =>
          process.stderr.write(
            `Listening on ${address.address} ${address.port} (${protocol})\n` +
              (secure ? describeServerCertificate(secure.certificate) : ''),
          ),
      });
      await stats;
      return;
    }
    await runRoom(port, flags, encodings, secure);
  });
}

async function runRoom(
  port: number,
  flags: ListenFlags,
  encodings: ReturnType<typeof checkChatFlags>,
  secure: Awaited<ReturnType<typeof serverTlsFromFlags>>,
): Promise<void> {
  // Clients turned away at the TLS door are reported through the console once it exists,
  // so the line does not land in the middle of the prompt.
  let warn = (message: string): void => void process.stderr.write(`rocket: ${message}\n`);
  limitYoungGeneration();
  const server = await startRoomServer({
    port,
    host: flags.host,
    udp: flags.udp,
    tls: secure && { ...secure.tls, onClientError: (message: string) => warn(message) },
    onStoreError: (message: string) => warn(message),
    encodings,
    store: keepsLetters(port, flags) ? { dataDir: flags.dataDir } : 'memory',
    password: readPassword(flags.passwordFile, process.env, 'ROCKET_ROOM_PASSWORD'),
    admission: {
      allow: flags.allow,
      deny: flags.deny,
      maxConnections: flags.maxConns,
      maxPerAddress: flags.maxConnsPerIp,
    },
    maxMessageBytes: flags.maxMessageBytes,
    rateLimits: { messagesPerSecond: flags.rate, bytesPerSecond: flags.rateBytes },
    idleTimeoutMs: flags.idleTimeout * 1000,
    mailLimits: {
      quotaPerRecipient: flags.quota,
      maxLetterBytes: flags.maxLetterBytes,
      retentionMs: flags.retentionDays * 24 * 3600_000,
    },
  });
  const { address } = server;
  process.stderr.write(
    `Listening on ${address.address} ${address.port} (${server.protocol}); join with: ` +
      `rocket connect ${flags.host ?? 'HOST'} ${address.port}${flags.udp ? ' --udp' : ''}` +
      (secure ? ' --tls\n' : `  or  nc${flags.udp ? ' -u' : ''} ${flags.host ?? 'HOST'} ${address.port}\n`),
  );
  if (secure) process.stderr.write(describeServerCertificate(secure.certificate));

  let closing = false;
  const shutdown = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    consoleUi.close();
    await server.close();
    process.exit(0);
  };
  const local = new LocalMember(
    (event) => consoleUi.show(event),
    () => void shutdown(),
  );
  const consoleUi = new ChatConsole({
    input: process.stdin,
    output: process.stdout,
    json: Boolean(flags.json),
    // Piped or redirected, the room's own display of a busy chat is written a turn at a time.
    batchOutput: true,
    prompt: () => `${local.nick}> `,
    onLine: (line) => server.room.input(local, line),
    // Piped input ran out: the room stays open for the others until it is stopped.
    onEnd: () => {},
    onInterrupt: () => void shutdown(),
  });
  warn = (message) => consoleUi.warn(message);
  server.room.attach(local);
  server.room.join(local, flags.nick ?? defaultNick());
  consoleUi.refreshPrompt();
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
  const where = isWildcardAddress(address.address)
    ? `port ${address.port} of every address of this machine (rocket ip lists them)`
    : formatHostPort(address.address, address.port);
  consoleUi.note(`you are ${local.nick}; the room is on ${where}`);
  consoleUi.note(
    server.durable
      ? `letters for people who are away are kept in ${server.storeLocation}`
      : flags.store
        ? 'letters are kept in memory only: a room on port 0 is on a new port each time (give a port, or --data-dir, to keep them)'
        : 'letters are kept in memory only (--no-store): they are lost when the room stops',
  );
  await new Promise<never>(() => {});
}

/** --data-dir holds letters and the self-signed TLS certificate: given where it holds neither, it is a mistake. */
function checkDataDirIsUsed(flags: ListenFlags): void {
  if (flags.dataDir === undefined || (flags.tls && flags.cert === undefined)) return;
  if (flags.raw) throw new UsageError('--data-dir goes with a room or --tls: a raw pipe keeps nothing');
  if (!flags.store)
    throw new UsageError('--data-dir and --no-store: letters are kept in memory only, so drop one of them');
}

/**
 * Letters are kept on disk unless --no-store, or port 0 without --data-dir: that room gets a
 * new port each time (its file would be shared by every such room and found by none); with
 * --data-dir the folder is the room's own, as in tests that restart a room on port 0.
 */
function keepsLetters(port: number, flags: ListenFlags): boolean {
  return flags.store && (port !== 0 || flags.dataDir !== undefined);
}

function defaultNick(): string {
  try {
    const name = userInfo().username;
    return /^[\p{L}\p{N}_\-.]{1,32}$/u.test(name) ? name : 'host';
  } catch {
    return 'host';
  }
}
