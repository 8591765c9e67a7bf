#!/usr/bin/env node
import type { Command as CommandType } from 'commander';
import { isRocketError } from '../errors.js';
import { VERSION } from '../version.js';
import { registerCommands } from './commands/index.js';

/** Prints one line on stderr and exits: no stack trace for anything a user can cause. */
function fail(message: string, exitCode: number): never {
  process.stderr.write(`rocket: ${message}\n`);
  process.exit(exitCode);
}

async function main(argv: string[]): Promise<void> {
  // Scripts ask for the version to see whether rocket is there: answer before loading the parser.
  if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V')) {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  const { Command, CommanderError } = await import('commander');
  const program: CommandType = new Command('rocket')
    .description(
      'Talk between computers over TCP and UDP: chat rooms, a netcat-style raw pipe, network checks.',
    )
    .version(VERSION, '-V, --version')
    // Usage errors stay one line: the hint goes on the same line, not after it.
    .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? usageLine(s) : s) })
    .exitOverride();
  program.addHelpText(
    'after',
    `
Examples:
  rocket listen                          start a chat room on port 8888
  rocket connect 192.168.0.100 --nick peppa
                                         join it from another computer
  nc 192.168.0.100 8888                  or join with netcat
  rocket send localhost --to george "dinner at 6"
                                         leave a letter for someone who is away
  rocket inbox localhost --nick george --password-file ~/.george
                                         pick up your letters
  rocket connect host 9000 --raw < file  a byte-exact pipe, like nc
  rocket ip                              this machine's addresses
  rocket port 22                         what a port is, and whether it is free
  rocket ping 192.168.0.100              is the other side there?

Run rocket COMMAND --help for every option of a command.`,
  );
  await registerCommands(program, argv);
  quietWhenOutputCloses(argv);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version also arrive here, with exit code 0.
      process.exit(err.exitCode === 0 ? 0 : 2);
    }
    if (isRocketError(err)) fail(err.message, err.exitCode);
    const message = err instanceof Error ? err.message : String(err);
    fail(`unexpected failure: ${message} (please report this)`, 1);
  }
}

/**
 * One line for a usage error. Our option and argument parsers already say what is wrong and
 * what to give instead, so commander's framing of their message ("command-argument value
 * '70000' is invalid for argument 'port'.") is left out; its own errors (an unknown option, a
 * missing argument) keep it, with the pointer to --help.
 */
function usageLine(commanderMessage: string): string {
  const text = commanderMessage.trimEnd();
  const argument = /^error: command-argument value '.*' is invalid for argument '[^']*'\. (.+)$/s.exec(text);
  if (argument) return `rocket: ${argument[1]}\n`;
  const option = /^error: option '([^']*)' argument '.*' is invalid\. (.+)$/s.exec(text);
  if (option) {
    // "-c, --count <n>": name it as people type it in full.
    const name = /--[\w-]+/.exec(option[1]!)?.[0] ?? /-\w/.exec(option[1]!)?.[0] ?? option[1];
    return `rocket: ${name}: ${option[2]}\n`;
  }
  return `rocket: ${text} (see --help)\n`;
}

/**
 * The reader of our output went away (`rocket listen | head -1`): Node reports EPIPE as an
 * 'error' event, which with nobody listening is a crash with a stack trace (and for a room,
 * every member dropped). A room goes on serving its members and stops printing; any other
 * command stops quietly with exit 0, as ripgrep does. Raw mode handles its output itself.
 */
function quietWhenOutputCloses(argv: string[]): void {
  if (argv.includes('--raw')) return;
  const serving = argv[2] === 'listen';
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
    if (!serving) process.exit(0);
  });
}

// Whatever escapes every handler (a peer that sent a shape nothing foresaw, say) still ends
// in one line, not a stack trace; the room's own handlers keep one peer from getting here.
process.on('uncaughtException', (err) => {
  fail(`unexpected failure: ${err instanceof Error ? err.message : String(err)} (please report this)`, 1);
});

void main(process.argv);
