import { readFileSync } from 'node:fs';
import { RocketError } from '../errors.js';

/**
 * A nick's secret from `--password-file FILE` or $ROCKET_PASSWORD, never from the command
 * line (where `ps` and shell history would show it). The first line of the file counts.
 */
export function readPassword(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  envName = 'ROCKET_PASSWORD',
): string | undefined {
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (cause) {
      const reason =
        {
          ENOENT: 'no such file',
          EISDIR: 'it is a folder, not a file',
          EACCES: 'no permission to read it',
        }[(cause as { code?: string }).code ?? ''] ?? (cause as Error).message;
      throw new RocketError('ROCKET_ERR_IO', `Cannot read the password file ${file}: ${reason}`, { cause });
    }
    const secret = text.split(/\r?\n/)[0] ?? '';
    if (secret === '')
      throw new RocketError('ROCKET_ERR_IO', `Cannot use the password file ${file}: its first line is empty`);
    return secret;
  }
  const fromEnv = env[envName];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}
