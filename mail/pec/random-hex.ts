/**
 * Random hex strings for names that must not collide (MIME boundaries, message identifiers,
 * Maildir and spool file names), drawn from a pool filled by the CSPRNG 4 KB at a time: each
 * crypto.randomBytes() call is a trip into OpenSSL (a getpid check, a lock, a new Buffer), about
 * 5 µs, and a PEC message takes about ten of them. Same generator, same quality, as randomUUID's
 * own cache does. Not for secrets (keys, tokens, salts): those keep their own randomBytes().
 */
import { randomFillSync } from 'node:crypto';

const pool = Buffer.allocUnsafe(4096);
let offset = pool.length;

/** `bytes` random bytes (at most 256) as 2 × `bytes` lower-case hex digits. */
export function randomHex(bytes: number): string {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > 256) throw new RangeError(`randomHex: ${bytes} bytes`);
  if (offset + bytes > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}
