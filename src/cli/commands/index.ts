import type { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * The subcommands, each in its own module, loaded only when it is the one asked for: so
 * `rocket --version` or `rocket port 22` do not load the chat room, the TLS code or the
 * socket modules the other commands need.
 */
export const COMMANDS: Record<string, () => Promise<Register>> = {
  listen: async () => (await import('./listen.js')).registerListen,
  connect: async () => (await import('./connect.js')).registerConnect,
  send: async () => (await import('./send.js')).registerSend,
  inbox: async () => (await import('./inbox.js')).registerInbox,
  ip: async () => (await import('./ip.js')).registerIp,
  port: async () => (await import('./port.js')).registerPort,
  ping: async () => (await import('./ping.js')).registerPing,
  scan: async () => (await import('./scan.js')).registerScan,
};

/**
 * Registers the command named in `argv`, or every command when none is named (for
 * `rocket --help`, `rocket help listen`, or an unknown name that commander must report).
 * `rocket --version` alone needs none.
 */
export async function registerCommands(program: Command, argv: string[]): Promise<void> {
  const args = argv.slice(2);
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) return;
  const name = args.find((arg) => !arg.startsWith('-'));
  const wanted = name !== undefined && Object.hasOwn(COMMANDS, name) ? [name] : Object.keys(COMMANDS);
  const registers = await Promise.all(wanted.map((key) => COMMANDS[key]!()));
  for (const register of registers) register(program);
}
