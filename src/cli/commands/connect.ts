import type { Command } from 'commander';
import { connectChat } from '../../client/chat-client.js';
import type { ChatConnection } from '../../client/types.js';
import { connectUdpChat } from '../../client/udp-chat-client.js';
import { UsageError } from '../../errors.js';
import { rawConnect, stdoutWaitsForReader } from '../../raw/index.js';
import { ChatConsole } from '../chat-console.js';
import { addSharedChatOptions, checkChatFlags, type SharedChatFlags } from '../chat-options.js';
import { parseTarget } from '../host-port.js';
import { parsePeerPort, parseSeconds, parseTimeout } from '../options.js';
import { readPassword } from '../password.js';
import { rawAbortSignal } from '../signals.js';
import { addTlsOptions, checkTlsFlags, clientTlsFromFlags, type TlsFlags } from '../tls-options.js';

const REFUSALS = new Set(['room-password', 'flood', 'protocol', 'login']);

interface ConnectFlags extends SharedChatFlags, TlsFlags {
  roomPasswordFile?: string;
  timeout: number;
  q?: number;
  passwordFile?: string;
}

export function registerConnect(program: Command): void {
  const command = program
    .command('connect')
    .description("join a room or talk to any TCP/UDP peer (Peppa's side)")
    .argument(
      '<host>',
      'name or address of the other computer, e.g. 192.168.0.100, localhost, [::1] or host:port',
    )
    .argument('[port]', 'its port (default 8888)', parsePeerPort)
    .option('--timeout <seconds>', 'give up connecting after this long', parseTimeout, 10)
    .option('-q <seconds>', 'after the end of input, wait this long for replies, then quit', parseSeconds)
    .option('--room-password-file <file>', 'the password of a protected room (or set ROCKET_ROOM_PASSWORD)')
    .option(
      '--password-file <file>',
      "your nick's secret (or set ROCKET_PASSWORD): log in, or claim the nick if free",
    );
  addSharedChatOptions(command).addHelpText(
    'after',
    `
Examples:
  rocket connect 192.168.0.100                 join the room on port 8888
  rocket connect localhost 9000 --nick peppa   join as "peppa"
  rocket connect localhost --udp               join a UDP room
  echo hello | rocket connect localhost        send one message and leave
  rocket connect 10.0.0.5 8888 --recv-encoding gbk
                                               talk to the tutorial's server (replies in gbk)
  rocket connect host 80 --raw < request.txt   a byte-exact pipe, like nc
  rocket connect localhost --json              events as JSON lines, for scripts
  rocket connect localhost --nick george --password-file ~/.rocket-secret
                                               log in as george and get your letters

A rocket room is recognised by its greeting; anything else gets plain text, and only
what you type. Type /quit or press Ctrl-D to leave.`,
  );
  addTlsOptions(command, 'connect');
  command.action(async (target: string, portArgument: number | undefined, flags: ConnectFlags) => {
    const { host, port } = parseTarget(target, portArgument);
    const encodings = checkChatFlags(flags);
    checkTlsFlags(flags, 'connect');
    const tls = clientTlsFromFlags(flags);
    const quitAfterEofMs = flags.q === undefined ? undefined : flags.q * 1000;
    if (flags.raw) {
      await rawConnect({
        host,
        port,
        udp: flags.udp,
        tls,
        input: process.stdin,
        output: process.stdout,
        progress: flags.progress || process.stderr.isTTY ? process.stderr : undefined,
        connectTimeoutMs: flags.timeout * 1000,
        quitAfterEofMs,
        signal: rawAbortSignal(stdoutWaitsForReader()),
      });
      return;
    }
    if (flags.passwordFile !== undefined && flags.nick === undefined) {
      throw new UsageError(
        '--password-file (or ROCKET_PASSWORD) goes with --nick: the secret belongs to a nickname',
      );
    }
    const password = flags.nick === undefined ? undefined : readPassword(flags.passwordFile);
    const roomPassword = readPassword(flags.roomPasswordFile, process.env, 'ROCKET_ROOM_PASSWORD');
    const client: ChatConnection = flags.udp
      ? await connectUdpChat({ host, port, nick: flags.nick, password, roomPassword, encodings })
      : await connectChat({
          host,
          port,
          nick: flags.nick,
          password,
          roomPassword,
          encodings,
          connectTimeoutMs: flags.timeout * 1000,
          tls,
        });
    const exitCode = await runChat(client, flags, quitAfterEofMs, password !== undefined);
    process.exit(exitCode);
  });
}

/** Wires a connection to the terminal; resolves with the exit status. */
async function runChat(
  client: ChatConnection,
  flags: ConnectFlags,
  quitAfterEofMs: number | undefined,
  loggingIn: boolean,
): Promise<number> {
  let inputEnded = false;
  let leaving = false;
  const consoleUi = new ChatConsole({
    input: process.stdin,
    output: process.stdout,
    json: Boolean(flags.json),
    prompt: () => `${client.nick ?? ''}> `,
    onLine: (line) => {
      if (leaving) return; // lines after /quit
      const quit = /^\/(quit|exit|bye)\b\s*(.*)$/is.exec(line.trim());
      if (quit) {
        // After what was typed before it, as the room would have it from nc.
        leaving = true;
        void client.finish(undefined, quit[2] || undefined);
      } else client.say(line);
    },
    onEnd: () => {
      inputEnded = true;
      if (!leaving) void client.finish(quitAfterEofMs);
    },
    onInterrupt: () => client.quit(),
  });
  // The room turned us away (wrong room password, flooding): that is a failure, exit 1.
  let refused = false;
  client.on('event', (event) => {
    if (event.type === 'error' && REFUSALS.has(event.code)) refused = true;
    // Turned away as who we asked to be: said once, on stderr, as the session ends.
    if (client.refusedAtStart && !flags.json) return;
    if (event.type === 'welcome' && loggingIn && !flags.json) {
      // The welcome names the guest we are until the login is decided; the login says who we are.
      const others = event.members.length > 0 ? event.members.join(', ') : 'nobody else yet';
      consoleUi.note(`in ${event.room}: ${others}; logging in as ${flags.nick}`);
      return;
    }
    consoleUi.show(event);
  });
  client.on('mode', (mode) => {
    if (mode === 'rocket' || mode === 'plain') consoleUi.refreshPrompt();
  });
  process.once('SIGINT', () => client.quit());
  process.once('SIGTERM', () => client.quit());
  const info = await client.closed;
  if (info.reason !== undefined && !(inputEnded && !info.error)) {
    if (flags.json && info.error) consoleUi.show({ type: 'error', code: 'closed', text: info.reason });
    // A room that closed with its goodbye is news, not a failure: a chat note, not stderr.
    else if (flags.json || !info.error) consoleUi.note(info.reason);
    else process.stderr.write(`rocket: ${info.reason}\n`);
  }
  consoleUi.close();
  return info.error || refused ? 1 : 0;
}
