/**
 * Installs the Debian packages the tests and tools need when their commands are missing.
 * CI runs as root on a clean Debian machine, so `apt-get` is the project's own install step.
 */
import { execFileSync, spawnSync } from 'node:child_process';

/** command on PATH → Debian package providing it */
export const requiredCommands: Record<string, string> = {
  openssl: 'openssl',
  xmllint: 'libxml2-utils',
  swaks: 'swaks',
  chromium: 'chromium', // headless browser for the portal's Playwright tests (playwright-core cannot download one)
  pdftotext: 'poppler-utils', // reads back the filled activation/renewal PDF forms in tests
  argon2: 'argon2', // reference Argon2 tool: checks lib/passwords.ts hashes are standard (Dovecot-verifiable)
  clamd: 'clamav-daemon', // real ClamAV daemon for the antivirus tests (mail/mta/testing/clamd.ts)
  python3: 'python3', // its standard `email` package reads our RFC 3464 reports back (mail/pec/build/dsn.test.ts)
};

function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export function ensureDebianPackages(commands: Record<string, string> = requiredCommands): void {
  const missing = [...new Set(Object.entries(commands).filter(([cmd]) => !hasCommand(cmd)).map(([, pkg]) => pkg))];
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`Missing system packages: ${missing.join(' ')}. Install them with: sudo apt-get install -y ${missing.join(' ')}`);
  }
  console.log(`[setup] installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
}
