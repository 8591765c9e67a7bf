import type { Command } from 'commander';
import type { ChatConnection } from '../../client/types.js';
import { RocketError, UsageError } from '../../errors.js';
import type { ChatEvent, MessageEvent } from '../../protocol/events.js';
import { renderEvent } from '../../protocol/render.js';
import { sanitizeText } from '../../protocol/sanitize.js';
import { parseTarget } from '../host-port.js';
import { openRocketWithFlags, type RocketConnectionFlags } from '../open-rocket.js';
import { parsePeerPort, parseTimeout } from '../options.js';
import { readPassword } from '../password.js';
import { addTlsOptions } from '../tls-options.js';

interface InboxFlags extends RocketConnectionFlags {
  nick: string;
  passwordFile?: string;
  json?: boolean;
}

export function registerInbox(program: Command): void {
  addTlsOptions(program.command('inbox'), 'connect')
    .description('pick up the letters waiting for you (George at the u-store), then exit')
    .argument('<host[:port]>', 'the room, e.g. localhost or 192.168.0.100:8888')
    .argument('[port]', 'its port, if not given after a colon (default 8888)', parsePeerPort)
    .requiredOption('--nick <name>', 'your registered nickname')
    .option('--password-file <file>', 'your secret (or set ROCKET_PASSWORD)')
    .option('--room-password-file <file>', 'the password of a protected room (or set ROCKET_ROOM_PASSWORD)')
    .option('--udp', 'over UDP')
    .option('--json', 'print each letter as a {"type":"message",...,"stored":true} line')
    .option('--timeout <seconds>', 'give up connecting after this long', parseTimeout, 10)
    .addHelpText(
      'after',
      `
Examples:
  rocket inbox localhost --nick george --password-file ~/.george
  ROCKET_PASSWORD=... rocket inbox 192.168.0.100:8888 --nick george --json

Letters are printed oldest first with their sender and time, acknowledged, and then gone
from the room. The first login with a free nickname claims it.`,
    )
    .action(async (target: string, portArgument: number | undefined, flags: InboxFlags) => {
      const { host, port } = parseTarget(target, portArgument);
      const password = readPassword(flags.passwordFile);
      if (password === undefined) {
        throw new UsageError('rocket inbox needs your secret: --password-file FILE or ROCKET_PASSWORD');
      }
      const client: ChatConnection = await openRocketWithFlags(flags, {
        host,
        port,
        nick: flags.nick,
        password,
        claim: false, // picking up letters never claims a nick: a typo must not become an account
      });
      const done = collectInbox(client, flags.json);
      done.catch(() => {}); // awaited below, after the login (whose failure is the one to report)
      try {
        await client.loggedIn();
        const count = await done;
        if (!flags.json) process.stderr.write(`rocket: ${count} letter(s) picked up\n`);
      } finally {
        client.quit();
      }
      await client.closed;
    });
}

/**
 * Prints letters as they come; resolves with their count at the room's end-of-inbox mark,
 * rejects when the room cannot hand them over (its store failed) or the connection ends first.
 */
function collectInbox(client: ChatConnection, json: boolean | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    let count = 0;
    client.on('event', (event: ChatEvent) => {
      if (event.type === 'message' && event.stored) {
        count += 1;
        print(event, json);
      } else if (event.type === 'inbox-end') {
        resolve(count);
      } else if (event.type === 'error' && event.code === 'store-failed' && event.id === undefined) {
        reject(new RocketError('ROCKET_ERR_IO', `Cannot pick up letters: ${event.text}`));
      }
    });
    void client.closed.then((info) =>
      reject(
        new RocketError(
          'ROCKET_ERR_CONNECTION_LOST',
          `Cannot pick up letters: ${info.reason ?? 'the room closed the connection'}`,
        ),
      ),
    );
  });
}

function print(letter: MessageEvent, json: boolean | undefined): void {
  process.stdout.write(json ? `${JSON.stringify(letter)}\n` : `${sanitizeText(renderEvent(letter) ?? '')}\n`);
}
