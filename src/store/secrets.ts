import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Secrets of claimed nicknames are kept only as salted scrypt hashes (RFC 7914), in the
 * form "scrypt$N$r$p$salt$hash" so the cost can be raised later without breaking old ones.
 */
const N = 16384;
const R = 8;
const P = 1;
const KEY_BYTES = 32;

function derive(secret: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret.normalize('NFKC'), salt, KEY_BYTES, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(secret, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await derive(secret, Buffer.from(salt, 'base64'), Number(n), Number(r), Number(p));
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A secret must be long enough to be worth hashing. */
export function secretProblem(secret: string): string | undefined {
  if (secret.length < 4) return 'a secret needs at least 4 characters';
  if (secret.length > 1024) return 'a secret has at most 1024 characters';
  return undefined;
}
