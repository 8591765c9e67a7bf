#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { isRocketError } from '../errors.js';
import { VERSION } from '../version.js';
import { registerCommands } from './commands/index.js';

/** Prints one line on stderr and exits: no stack trace for anything a user can cause. */
function fail(message: string, exitCode: number): never {
  process.stderr.write(`rocket: ${message}\n`);
  process.exit(exitCode);
}

async function main(argv: string[]): Promise<void> {
  const program = new Command('rocket')
    .description(
      'Talk between computers over TCP and UDP: chat rooms, a netcat-style raw pipe, network checks.',
    )
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `rocket: ${s}` : s) })
    .exitOverride();
  registerCommands(program);
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

void main(process.argv);
