import type { Command } from 'commander';
import { type RocketError, UsageError } from '../../errors.js';
import type { StoredEvent } from '../../protocol/events.js';
import { checkLetterIsNotAPort, parseHostPort } from '../host-port.js';
import { openRocketWithFlags, type RocketConnectionFlags } from '../open-rocket.js';
import { parseTimeout } from '../options.js';
import { readPassword } from '../password.js';
import { readInputLines } from '../read-lines.js';
import { addTlsOptions } from '../tls-options.js';

interface SendFlags extends RocketConnectionFlags {
  to: string;
  nick?: string;
  passwordFile?: string;
  json?: boolean;
}

export function registerSend(program: Command): void {
  addTlsOptions(program.command('send'), 'connect')
    .description("leave letters for someone who is away (Peppa's letter at the u-store), then exit")
    .argument('<host[:port]>', 'the room, e.g. localhost or 192.168.0.100:8888')
    .argument('[text...]', 'the letter; without it, every line of stdin is a letter of its own')
    .requiredOption('--to <nick>', 'who the letters are for (a registered nickname)')
    .option('--nick <name>', 'sign as this nickname')
    .option('--password-file <file>', 'the secret of --nick (or set ROCKET_PASSWORD)')
    .option('--room-password-file <file>', 'the password of a protected room (or set ROCKET_ROOM_PASSWORD)')
    .option('--udp', 'over UDP: letters are sent again until the room confirms them')
    .option('--json', 'print one {"type":"stored","id":...} line per letter')
    .option('--timeout <seconds>', 'give up connecting after this long', parseTimeout, 10)
    .addHelpText(
      'after',
      `
Examples:
  rocket send localhost --to george "Come to the bike shed at 4"
  rocket send 192.168.0.100:8888 --to george --nick peppa --password-file ~/.peppa < letters.txt
  rocket send localhost --to george --udp "the u-store takes letters over UDP too"

Exits 0 only once the room has confirmed every letter stored; 1 if any was refused.`,
    )
    .action(async (target: string, words: string[], flags: SendFlags) => {
      checkLetterIsNotAPort(target, words);
      const { host, port } = parseHostPort(target);
      const password = flags.nick === undefined ? undefined : readPassword(flags.passwordFile);
      if (flags.passwordFile !== undefined && flags.nick === undefined) {
        throw new UsageError('--password-file goes with --nick: the secret belongs to a nickname');
      }
      const texts = words.length > 0 ? [words.join(' ')] : await readInputLines(process.stdin);
      if (texts.length === 0) throw new UsageError('nothing to send: give the text, or lines on stdin');
      const client = await openRocketWithFlags(flags, { host, port, nick: flags.nick, password });
      try {
        if (password !== undefined) await client.loggedIn();
        // Each line as the room confirms it: if the room goes away midway, what was printed
        // is exactly what is stored.
        let failed: RocketError | undefined;
        await Promise.all(
          texts.map((text) =>
            client.sendLetter(flags.to, text).then(
              (stored) => printStored(stored, flags.json),
              (err: RocketError) => {
                failed ??= err;
              },
            ),
          ),
        );
        if (failed) throw failed;
      } finally {
        client.quit();
      }
    });
}

function printStored(event: StoredEvent, json: boolean | undefined): void {
  process.stdout.write(json ? `${JSON.stringify(event)}\n` : `stored for ${event.to} (id ${event.id})\n`);
}
