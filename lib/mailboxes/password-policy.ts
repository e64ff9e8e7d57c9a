/**
 * Mailbox password policy: at least 12 characters, not the address or its local part, and not in
 * the breached-password list when one is configured (PEC_BREACHED_PASSWORDS_FILE, one a line,
 * compared case-insensitively). New passwords set by admins are generated, shown once.
 */
import { readFileSync, statSync } from 'node:fs';
import { minPasswordLength } from '@/lib/auth/password-policy';
import { generatePassword } from '@/lib/passwords';

let cachedList: { file: string; mtimeMs: number; words: Set<string> } | undefined;

/** The breached list as a set (re-read when the file changes); empty without a file. */
export function loadBreachedPasswords(file: string | undefined): Set<string> {
  if (!file) return new Set();
  const { mtimeMs } = statSync(file);
  if (cachedList?.file !== file || cachedList.mtimeMs !== mtimeMs) {
    const words = new Set(
      readFileSync(file, 'utf8')
        .split(/\r?\n/)
        .map((w) => w.trim().toLowerCase())
        .filter(Boolean),
    );
    cachedList = { file, mtimeMs, words };
  }
  return cachedList.words;
}

/** null when acceptable, else the dictionary key of the reason. */
export function mailboxPasswordProblem(password: string, address: string, breached: ReadonlySet<string>): string | null {
  if (password.length < minPasswordLength) return 'password.tooShort';
  const lower = password.toLowerCase();
  const local = address.split('@')[0]?.toLowerCase();
  if (lower === address.toLowerCase() || lower === local) return 'password.equalsEmail';
  if (breached.has(lower)) return 'mailboxes.passwordBreached';
  return null;
}

/** A generated mailbox password (20 characters, 120 bits): always passes the policy. */
export function generateMailboxPassword(): string {
  return generatePassword();
}
