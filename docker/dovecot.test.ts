/**
 * Dovecot with the configuration in docker/dovecot/ (paths and ports rewritten for loopback),
 * against a real test database: a holder logs in over IMAPS with the password hash the portal
 * writes and fetches, byte-identical, a message stored by the delivery point (mail/mta/maildir.ts);
 * a wrong password and a suspended box are refused. Dovecot is installed when missing (as root).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import { storeInMaildir } from '../mail/mta/maildir';
import { startTestDatabase, type TestDatabase } from '../lib/db/testing';
import { hashPassword } from '../lib/passwords';
import { startDovecot, type RunningDovecot } from '../lib/testing/dovecot';

const work = mkdtempSync(path.join(os.tmpdir(), 'pec-dovecot-'));
const maildirRoot = path.join(work, 'maildir');
let db: TestDatabase;
let dovecot: RunningDovecot | undefined;
let ports: RunningDovecot['ports'];
const message = Buffer.from(
  'From: posta-certificata@pec.ops.test\r\nTo: mario.rossi@pec.ops.test\r\nSubject: POSTA CERTIFICATA: prova \xe8\r\nMessage-ID: <opec.1@pec.ops.test>\r\n\r\nbody with 8-bit bytes \xe0\xff (IMAP turns NUL into 0x80, so none here)\r\n.\r\n',
  'latin1',
);

before(async () => {
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
  dovecot = await startDovecot({ work, maildirRoot, databaseUrl: db.url });
  ports = dovecot.ports;
});

after(async () => {
  await dovecot?.stop();
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
