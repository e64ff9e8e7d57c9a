/**
 * A real Dovecot for tests, started from the configuration in docker/dovecot/ (the one the compose
 * deployment uses) with only its container paths and ports rewritten for loopback, against a test
 * database. Installs the Dovecot packages when missing (as root).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { findFreePort } from '@/lib/db/testing';
import { ensureDebianPackages } from '@/scripts/lib/system-packages';

export const dovecotConfigDir = path.resolve(__dirname, '..', '..', 'docker', 'dovecot');
/** The uid Dovecot reads and writes the Maildirs as (the MTA image's user), as in dovecot.conf. */
export const mailUid = 10001;

/** file that proves each package is installed → package */
const dovecotFiles: Record<string, string> = {
  '/usr/lib/dovecot/imap': 'dovecot-imapd',
  '/usr/lib/dovecot/pop3': 'dovecot-pop3d',
  '/usr/lib/dovecot/lmtp': 'dovecot-lmtpd',
  '/usr/lib/dovecot/modules/auth/libdriver_pgsql.so': 'dovecot-pgsql',
};

export function ensureDovecotInstalled(): void {
  const missing = Object.entries(dovecotFiles)
    .filter(([f]) => !existsSync(f))
    .map(([, p]) => p);
  // never-present command names make ensureDebianPackages install exactly the missing packages
  if (missing.length > 0) ensureDebianPackages(Object.fromEntries(missing.map((p) => [`pec-probe-${p}`, p])));
}

export interface RunningDovecot {
  ports: { imaps: number; pop3s: number; lmtp: number };
  maildirRoot: string;
  /** what Dovecot logged so far */
  log(): string;
  stop(): Promise<void>;
}

function waitForPort(port: number, log: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`Dovecot did not listen on ${port}:\n${log()}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

/**
 * Starts Dovecot in `work` (a folder of the test's own) serving `maildirRoot`, users from the
 * database at `databaseUrl`. Messages already in `maildirRoot` are handed to Dovecot's uid.
 */
export async function startDovecot(options: { work: string; maildirRoot: string; databaseUrl: string }): Promise<RunningDovecot> {
  ensureDovecotInstalled();
  const { work, maildirRoot } = options;
  mkdirSync(work, { recursive: true });
  mkdirSync(maildirRoot, { recursive: true });
  // Dovecot (LMTP included) works as the MTA's uid, and must be able to walk down to the Maildirs
  // (temporary folders are made 0700)
  chmodSync(work, 0o755);
  for (let dir = path.dirname(maildirRoot); dir.startsWith(`${os.tmpdir()}${path.sep}`); dir = path.dirname(dir)) chmodSync(dir, 0o755);
  execFileSync('chown', ['-R', `${mailUid}:${mailUid}`, maildirRoot]);

  const tlsDir = path.join(work, 'tls');
  mkdirSync(tlsDir, { recursive: true });
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', path.join(tlsDir, 'privkey.pem'), '-out', path.join(tlsDir, 'fullchain.pem')],
    { stdio: 'ignore' },
  );
  const ports = { imaps: await findFreePort(), pop3s: await findFreePort(), lmtp: await findFreePort() };
  // the configuration files as they are, with the container paths pointing at this test's folders
  const confDir = path.join(work, 'conf');
  mkdirSync(confDir, { recursive: true });
  const rewrite = (text: string): string => text.replaceAll('/etc/dovecot/pec/', `${confDir}/`).replaceAll('/etc/pec/tls/', `${tlsDir}/`);
  for (const f of readdirSync(dovecotConfigDir)) writeFileSync(path.join(confDir, f), rewrite(readFileSync(path.join(dovecotConfigDir, f), 'utf8')));
  const original = readFileSync(path.join(dovecotConfigDir, 'dovecot.conf'), 'utf8');
  const conf = readFileSync(path.join(confDir, 'dovecot.conf'), 'utf8')
    .replace(/^listen = \*$/m, 'listen = 127.0.0.1')
    .replace(/port = 993$/m, `port = ${ports.imaps}`)
    .replace(/port = 995$/m, `port = ${ports.pop3s}`)
    .replace(/port = 24$/m, `port = ${ports.lmtp}`);
  assert.notEqual(conf, original);
  assert.equal(conf.match(new RegExp(`port = (${ports.imaps}|${ports.pop3s}|${ports.lmtp})$`, 'gm'))?.length, 3, 'the three listeners were rewritten');
  const confFile = path.join(work, 'dovecot.conf');
  writeFileSync(confFile, `${conf}\nbase_dir = ${work}/run\nstate_dir = ${work}/state\ninstance_name = pec-test-${process.pid}-${ports.lmtp}\n`);
  mkdirSync(path.join(work, 'state'), { recursive: true });
  const url = new URL(options.databaseUrl);
  const logFile = path.join(work, 'dovecot.log');
  const log = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const logFd = openSync(logFile, 'a');
  const child = spawn('dovecot', ['-F', '-c', confFile], {
    env: {
      NODE_ENV: 'test',
      PATH: process.env.PATH,
      PGHOST: url.hostname,
      PGPORT: url.port,
      PGUSER: decodeURIComponent(url.username),
      PGPASSWORD: decodeURIComponent(url.password),
      PGDATABASE: url.pathname.slice(1),
      PEC_MAILDIR_ROOT: maildirRoot,
    },
    // a file, not a pipe: Dovecot opens /dev/stderr itself, which fails on a socket
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitForPort(ports.imaps, log);
    await waitForPort(ports.lmtp, log);
  } catch (err) {
    await stop();
    throw err;
  }
  return { ports, maildirRoot, log, stop };
}
