/**
 * Password hashing shared by the portal (admin and holder logins) and the MTA/Dovecot (mailbox logins).
 * Hashes are stored in Dovecot's scheme-prefixed form, `{ARGON2ID}$argon2id$v=19$m=...,t=...,p=1$salt$hash`,
 * so Dovecot can verify mailbox passwords straight from the database.
 */
import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

export const passwordScheme = '{ARGON2ID}';

// OWASP's argon2id minimum (19 MiB, 2 passes); one lane, which libsodium (Dovecot) requires.
const argon2Options = { memoryCost: 19456, timeCost: 2, parallelism: 1, outputLen: 32 };

/** Hashes a password into the stored `{ARGON2ID}$argon2id$...` form. */
export async function hashPassword(password: string): Promise<string> {
  if (password.length === 0) throw new Error('Refusing to hash an empty password');
  // A printable salt (22 base64url characters, 128 random bits) so the reference `argon2` tool
  // can recompute the hash in tests; any byte string is a valid Argon2 salt.
  const salt = Buffer.from(randomBytes(16).toString('base64url'));
  return passwordScheme + (await hash(password, { ...argon2Options, salt }));
}

/** True when `password` matches a stored hash; false for a wrong password or an unknown scheme. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  const encoded = stored.startsWith(passwordScheme) ? stored.slice(passwordScheme.length) : stored;
  if (!encoded.startsWith('$argon2id$')) return false;
  try {
    return await verify(encoded, password);
  } catch {
    return false; // malformed hash: never a match
  }
}

/** A random password for first-time credentials: 20 characters of base64url (120 bits). */
export function generatePassword(): string {
  return randomBytes(15).toString('base64url');
}
