/**
 * TOTP second factor (RFC 6238: SHA-1, 6 digits, 30 s — what every authenticator app expects) and
 * single-use recovery codes. Recovery codes carry 80 random bits, so a plain SHA-256 is enough to
 * store them (they are not guessable like passwords).
 */
import { createHash, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

export const recoveryCodeCount = 10;

function totpFor(secretBase32: string, label = 'user', issuer = 'PEC'): TOTP {
  return new TOTP({ issuer, label, algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secretBase32) });
}

/** A new random secret, base32 (160 bits). */
export function createTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The otpauth:// URI an authenticator app reads (from the QR code or typed in). */
export function totpUri(secretBase32: string, email: string, issuer: string): string {
  return totpFor(secretBase32, email, issuer).toString();
}

/** The current code: for tests and for nothing else. */
export function currentTotpCode(secretBase32: string, timestamp = Date.now()): string {
  return totpFor(secretBase32).generate({ timestamp });
}

export const totpPeriodSeconds = 30;

/**
 * The 30 s time step (seconds since 1970 / 30) whose code this is, accepting the current step or
 * one either side (clock drift); null when the code matches none. Callers that store the last
 * accepted step refuse a step not above it, so a code seen over a shoulder cannot be used again.
 */
export function totpCodeStep(secretBase32: string, code: string, timestamp = Date.now()): number | null {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return null;
  const delta = totpFor(secretBase32).validate({ token, timestamp, window: 1 });
  return delta === null ? null : Math.floor(timestamp / 1000 / totpPeriodSeconds) + delta;
}

/** Accepts the code of the current 30 s step or of one step either side (clock drift). */
export function verifyTotpCode(secretBase32: string, code: string, timestamp = Date.now()): boolean {
  return totpCodeStep(secretBase32, code, timestamp) !== null;
}

const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789'; // no 0/o, 1/l/i: read off paper without doubt

/** One code like `k7pq-x2mh-4tzr-9wda` (16 characters of a 31-letter alphabet ≈ 79 bits). */
function newRecoveryCode(): string {
  const bytes = randomBytes(16);
  let out = '';
  for (let i = 0; i < 16; i++) {
    out += alphabet[bytes[i] % alphabet.length];
    if (i % 4 === 3 && i < 15) out += '-';
  }
  return out;
}

function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[^a-z0-9]/g, '');
}

export function hashRecoveryCode(code: string): string {
  return createHash('sha256').update(normalizeRecoveryCode(code)).digest('hex');
}

/** New codes (shown once) and their hashes (stored). */
export function generateRecoveryCodes(): { codes: string[]; hashes: string[] } {
  const codes = Array.from({ length: recoveryCodeCount }, newRecoveryCode);
  return { codes, hashes: codes.map(hashRecoveryCode) };
}

/** The remaining hashes when `code` matches one (it is consumed), else null. */
export function consumeRecoveryCode(hashes: readonly string[], code: string): string[] | null {
  const h = hashRecoveryCode(code);
  const i = hashes.indexOf(h);
  return i < 0 ? null : [...hashes.slice(0, i), ...hashes.slice(i + 1)];
}

/** Whether what the user typed looks like a recovery code rather than a 6-digit TOTP code. */
export function looksLikeRecoveryCode(code: string): boolean {
  return normalizeRecoveryCode(code).length === 16;
}
