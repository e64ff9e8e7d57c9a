/**
 * The session-signing secret: AUTH_SECRET when configured, otherwise a random secret generated
 * once into <PEC_DATA_DIR>/auth-secret (mode 0600) and reused by every later start, so sessions
 * survive restarts without the operator having to invent a secret.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '@/lib/config';

export function authSecretPath(config: Config): string {
  return path.join(config.dataDir, 'auth-secret');
}

export function getAuthSecret(config: Config): string {
  if (config.authSecret) return config.authSecret;
  const file = authSecretPath(config);
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(config.dataDir, { recursive: true });
  try {
    // 'wx': when two processes start together, the second one reads the first one's secret
    writeFileSync(file, randomBytes(32).toString('base64url') + '\n', { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return readFileSync(file, 'utf8').trim();
}
