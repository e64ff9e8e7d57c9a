/**
 * Dovecot with the configuration in docker/dovecot/ (paths and ports rewritten for loopback),
 * against a real test database: a holder logs in over IMAPS with the password hash the portal
 * writes and fetches, byte-identical, a message stored by the delivery point (mail/mta/maildir.ts);
 * a wrong password and a suspended box are refused. Dovecot is installed when missing (as root).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import { storeInMaildir } from '../mail/mta/maildir';
import { findFreePort, startTestDatabase, type TestDatabase } from '../lib/db/testing';
import { hashPassword } from '../lib/passwords';
import { ensureDebianPackages } from '../scripts/lib/system-packages';

const configDir = path.join(__dirname, 'dovecot');
/** file that proves each package is installed → package */
const dovecotFiles: Record<string, string> = {
  '/usr/lib/dovecot/imap': 'dovecot-imapd',
  '/usr/lib/dovecot/pop3': 'dovecot-pop3d',
  '/usr/lib/dovecot/lmtp': 'dovecot-lmtpd',
  '/usr/lib/dovecot/modules/auth/libdriver_pgsql.so': 'dovecot-pgsql',
};
const mailUid = 10001; // the MTA image's user, as in dovecot.conf

const work = mkdtempSync(path.join(os.tmpdir(), 'pec-dovecot-'));
const maildirRoot = path.join(work, 'maildir');
let db: TestDatabase;
let dovecot: ChildProcess | undefined;
const dovecotLogFile = path.join(work, 'dovecot.log');
const dovecotLog = (): string => (existsSync(dovecotLogFile) ? readFileSync(dovecotLogFile, 'utf8') : '');
let ports: { imaps: number; pop3s: number; lmtp: number };
const message = Buffer.from(
  'From: posta-certificata@pec.ops.test\r\nTo: mario.rossi@pec.ops.test\r\nSubject: POSTA CERTIFICATA: prova \xe8\r\nMessage-ID: <opec.1@pec.ops.test>\r\n\r\nbody with 8-bit bytes \xe0\xff (IMAP turns NUL into 0x80, so none here)\r\n.\r\n',
  'latin1',
);

function waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
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
        if (Date.now() > deadline) reject(new Error(`Dovecot did not listen on ${port}:\n${dovecotLog()}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

before(async () => {
  const missing = Object.entries(dovecotFiles).filter(([f]) => !existsSync(f)).map(([, p]) => p);
  // never-present command names make ensureDebianPackages install exactly the missing packages
  if (missing.length > 0) ensureDebianPackages(Object.fromEntries(missing.map((p) => [`pec-probe-${p}`, p])));
  db = await startTestDatabase({ env: { ...process.env, PEC_MAIL_DOMAIN: 'pec.ops.test' } });
  const org = await db.prisma.organization.create({ data: { kind: 'COMPANY', name: 'Rossi' } });
  const domain = await db.prisma.domain.create({ data: { name: 'pec.ops.test', kind: 'PROVIDER_SHARED', organizationId: org.id, verificationState: 'VERIFIED' } });
  const passwordHash = await hashPassword('Password di prova 1');
  for (const [local, status] of [['mario.rossi', 'ACTIVE'], ['sospesa', 'SUSPENDED'], ['scaduta', 'EXPIRED']] as const) {
    await db.prisma.mailbox.create({
      data: {
        address: `${local}@pec.ops.test`, localPart: local, domainId: domain.id, organizationId: org.id, holderType: 'NATURAL_PERSON',
        holderName: local, quotaBytes: 10n * 1024n * 1024n, expiresAt: new Date(Date.now() + 86_400_000), passwordHash, status,
      },
    });
  }
  await storeInMaildir(maildirRoot, 'mario.rossi@pec.ops.test', message);
  await storeInMaildir(maildirRoot, 'sospesa@pec.ops.test', message);
  await storeInMaildir(maildirRoot, 'scaduta@pec.ops.test', message);
  // Dovecot reads the Maildirs as the MTA's uid, and must be able to walk down to them
  chmodSync(work, 0o755);
  execFileSync('chown', ['-R', `${mailUid}:${mailUid}`, maildirRoot]);

  const tlsDir = path.join(work, 'tls');
  mkdirSync(tlsDir);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', path.join(tlsDir, 'privkey.pem'), '-out', path.join(tlsDir, 'fullchain.pem')], { stdio: 'ignore' });
  ports = { imaps: await findFreePort(), pop3s: await findFreePort(), lmtp: await findFreePort() };
  // the configuration files as they are, with the container paths pointing at this test's folders
  const confDir = path.join(work, 'conf');
  mkdirSync(confDir);
  const rewrite = (text: string): string => text.replaceAll('/etc/dovecot/pec/', `${confDir}/`).replaceAll('/etc/pec/tls/', `${tlsDir}/`);
  for (const f of readdirSync(configDir)) writeFileSync(path.join(confDir, f), rewrite(readFileSync(path.join(configDir, f), 'utf8')));
  const conf = readFileSync(path.join(confDir, 'dovecot.conf'), 'utf8')
    .replace(/^listen = \*$/m, 'listen = 127.0.0.1')
    .replace(/port = 993$/m, `port = ${ports.imaps}`)
    .replace(/port = 995$/m, `port = ${ports.pop3s}`)
    .replace(/port = 24$/m, `port = ${ports.lmtp}`);
  assert.notEqual(conf, readFileSync(path.join(configDir, 'dovecot.conf'), 'utf8'));
  const confFile = path.join(work, 'dovecot.conf');
  writeFileSync(confFile, `${conf}\nbase_dir = ${work}/run\nstate_dir = ${work}/state\ninstance_name = pec-test-${process.pid}\n`);
  mkdirSync(path.join(work, 'state'));
  const url = new URL(db.url);
  const logFd = openSync(dovecotLogFile, 'a');
  dovecot = spawn('dovecot', ['-F', '-c', confFile], {
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
  await waitForPort(ports.imaps);
});

after(async () => {
  if (dovecot && dovecot.exitCode === null) {
    const exited = new Promise((r) => dovecot?.once('exit', r));
    dovecot.kill('SIGTERM');
    await exited;
  }
  await db?.stop();
  rmSync(work, { recursive: true, force: true });
});

const client = (user: string, pass: string): ImapFlow =>
  new ImapFlow({ host: '127.0.0.1', port: ports.imaps, secure: true, tls: { rejectUnauthorized: false }, auth: { user, pass }, logger: false });

test('a holder logs in over IMAPS and fetches the stored message byte-identical', async () => {
  const imap = client('Mario.Rossi@pec.ops.test', 'Password di prova 1');
  await imap.connect();
  try {
    const box = await imap.mailboxOpen('INBOX');
    assert.equal(box.exists, 1);
    const fetched = await imap.fetchOne('1', { source: true });
    assert.ok(fetched && fetched.source);
    assert.ok(fetched.source.equals(message), 'fetched bytes differ from the stored message');
    const quota = await imap.getQuota('INBOX');
    assert.equal(quota && quota.storage?.limit, 10 * 1024 * 1024);
    // an ACTIVE box is not read-only (the control for the expired case below)
    assert.ok(await imap.append('INBOX', 'Subject: draft\r\n\r\nx\r\n'));
  } finally {
    await imap.logout();
  }
});

test('an expired box logs in read-only: it can read, not delete or append', async () => {
  const imap = client('scaduta@pec.ops.test', 'Password di prova 1');
  await imap.connect();
  try {
    await imap.mailboxOpen('INBOX');
    const fetched = await imap.fetchOne('1', { source: true });
    assert.ok(fetched && fetched.source?.equals(message));
    assert.equal(await imap.messageFlagsAdd('1', ['\\Deleted']), false);
    await assert.rejects(imap.append('INBOX', 'Subject: x\r\n\r\ny\r\n'));
    assert.equal(await imap.messageDelete('1'), false);
  } finally {
    await imap.logout();
  }
  const again = client('scaduta@pec.ops.test', 'Password di prova 1');
  await again.connect();
  try {
    assert.equal((await again.mailboxOpen('INBOX')).exists, 1);
  } finally {
    await again.logout();
  }
});

test('a wrong password and a suspended box are refused', async () => {
  for (const [user, pass] of [['mario.rossi@pec.ops.test', 'wrong password'], ['sospesa@pec.ops.test', 'Password di prova 1'], ['nobody@pec.ops.test', 'x']]) {
    const imap = client(user, pass);
    imap.on('error', () => undefined);
    await assert.rejects(imap.connect(), (err: Error & { authenticationFailed?: boolean }) => err.authenticationFailed === true || /auth/i.test(err.message), user);
    imap.close();
  }
});

test('POP3S: a suspended box is refused, an expired one can still download', async () => {
  const lines: string[] = [];
  const socket = tls.connect({ host: '127.0.0.1', port: ports.pop3s, rejectUnauthorized: false });
  const next = (): Promise<string> =>
    new Promise((resolve) => {
      const check = (): void => {
        const line = lines.shift();
        if (line !== undefined) resolve(line);
        else setTimeout(check, 20);
      };
      check();
    });
  let buffer = '';
  socket.on('data', (d: Buffer) => {
    buffer += d.toString('latin1');
    let i;
    while ((i = buffer.indexOf('\r\n')) >= 0) {
      lines.push(buffer.slice(0, i));
      buffer = buffer.slice(i + 2);
    }
  });
  assert.match(await next(), /^\+OK/);
  socket.write('USER sospesa@pec.ops.test\r\n');
  assert.match(await next(), /^\+OK/);
  socket.write('PASS Password di prova 1\r\n');
  assert.match(await next(), /^-ERR/);
  socket.write('USER scaduta@pec.ops.test\r\n');
  assert.match(await next(), /^\+OK/);
  socket.write('PASS Password di prova 1\r\n');
  assert.match(await next(), /^\+OK/);
  socket.write('STAT\r\n');
  assert.match(await next(), new RegExp(`^\\+OK 1 ${message.length}$`));
  socket.end('QUIT\r\n');
});
