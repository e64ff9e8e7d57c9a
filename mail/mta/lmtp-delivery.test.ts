/**
 * Delivery over LMTP (MTA_DELIVERY=lmtp) to a real Dovecot started from docker/dovecot/, against a
 * real database: provider Beta's MTA runtime receives bustas that Alfa signed and hands them to
 * Dovecot; Alfa's MX is an SMTP sink collecting the receipts. The holder fetches the busta over
 * IMAPS as sent, below the two headers added on top (Return-Path by Dovecot, X-PEC-Delivery-Key by
 * us); a full box and an unknown address earn a mancata consegna; a 4xx from Dovecot issues no
 * receipt and the retried busta is delivered once; a retry after a crash right after LMTP's 250
 * stores nothing twice.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import { ConfigError, loadConfig } from '@/lib/config';
import { findFreePort, startTestDatabase, type TestDatabase } from '@/lib/db/testing';
import { mailUid, startDovecot, type RunningDovecot } from '@/lib/testing/dovecot';
import {
  buildAvvenutaConsegna,
  buildBustaTrasporto,
  createSigner,
  createTrustStore,
  inspectMessage,
  messageBytes,
  newPecMessageId,
  parseProviderLdif,
  type BuildContext,
  type InspectReport,
  type TrustStore,
} from '@/mail/pec';
import { pemToDer } from '@/mail/pec/testing/test-pki';
import { classifyLmtpAnswer, DatabaseLmtpDeliveryRecords, deliveryKeyHash, LmtpMessageStore } from './lmtp-delivery';
import { maildirPath } from './maildir';
import { TemporaryStoreError } from './message-store';
import { createMtaRuntime, type MtaRuntime } from './provider-runtime';
import { createMailboxes, issueProviderPki, pkiEnv, testNetworkLdif, writeProviderPkiFiles, type ProviderPki } from './testing/provider-fixture';
import { startSmtpSink, type SmtpSink } from './testing/smtp-sink';

const work = mkdtempSync(path.join(os.tmpdir(), 'pec-lmtp-'));
const maildirRoot = path.join(work, 'maildir');
const password = 'Password di prova 1';
let db: TestDatabase;
let dovecot: RunningDovecot;
let sink: SmtpSink;
let runtime: MtaRuntime;
let alfa: ProviderPki;
let beta: ProviderPki;
let alfaCtx: () => BuildContext;
let trust: TrustStore;

before(async () => {
  [db, sink] = await Promise.all([startTestDatabase(), startSmtpSink({ startTls: false })]);
  alfa = issueProviderPki({ name: 'Alfa PEC S.p.A.', domain: 'pec.alfa.test' });
  beta = issueProviderPki({ name: 'Beta PEC S.r.l.', domain: 'pec.beta.test' });
  const files = writeProviderPkiFiles(path.join(work, 'pki'), beta, [alfa, beta]);
  await createMailboxes(db.prisma, beta.spec.name, [
    { address: 'bob@pec.beta.test', password },
    // smaller than any busta: Dovecot's quota refuses it
    { address: 'piena@pec.beta.test', password, quotaBytes: 2000 },
    { address: 'bloccata@pec.beta.test', password },
  ]);
  dovecot = await startDovecot({ work: path.join(work, 'dovecot'), maildirRoot, databaseUrl: db.url });
  const config = loadConfig({
    ...pkiEnv(files),
    DATABASE_URL: db.url,
    PEC_DATA_DIR: work,
    MAILDIR_ROOT: maildirRoot,
    MTA_SPOOL_DIR: path.join(work, 'spool'),
    PEC_MAIL_DOMAIN: beta.spec.domain,
    PEC_PROVIDER_NAME: beta.spec.name,
    MTA_STATIC_ROUTES: `pec.alfa.test=127.0.0.1:${sink.port}`,
    MTA_DELIVERY: 'lmtp',
    MTA_LMTP_ADDRESS: `127.0.0.1:${dovecot.ports.lmtp}`,
  });
  runtime = await createMtaRuntime(config, db.prisma, { material: { databaseUrl: db.url } });
  const alfaSigner = createSigner({ keyPem: alfa.cert.keyPem, certPem: alfa.cert.certPem, chainPem: alfa.cert.chainPem });
  alfaCtx = () => ({ provider: alfa.spec, signer: alfaSigner, now: new Date() });
  trust = createTrustStore({ certificates: [pemToDer(beta.ca.rootPem)], index: parseProviderLdif(testNetworkLdif([alfa, beta])).index });
});

after(async () => {
  await runtime?.close();
  await dovecot?.stop();
  await sink?.close();
  await db?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function busta(subject: string, to: string[]): Promise<{ raw: Buffer; identificativo: string }> {
  const ctx = alfaCtx();
  const original = Buffer.from(
    [`From: alice@pec.alfa.test`, `To: ${to.join(', ')}`, `Subject: ${subject}`, `Message-ID: <${subject.replace(/\W/g, '')}@alfa.test>`, '', 'Testo con accenti: è à ù.', ''].join('\r\n'),
    'utf8',
  );
  const identificativo = newPecMessageId(ctx.now, { domain: 'pec.alfa.test' });
  const raw = messageBytes(
    await buildBustaTrasporto({
      ctx,
      original,
      sender: 'alice@pec.alfa.test',
      recipients: to.map((address) => ({ address, tipo: 'certificato' as const, field: 'to' as const })),
      identificativo,
    }),
  );
  return { raw, identificativo };
}

const receive = (raw: Buffer, to: string[]) => runtime.reception.receive({ from: 'alice@pec.alfa.test', to }, raw);

/** Receipts about `identificativo` that reached Alfa's MX so far, verified against Beta's CA. */
function receipts(identificativo: string): InspectReport[] {
  return sink.messages
    .map((m) => inspectMessage(m.raw, { trust, now: new Date() }))
    .filter((r) => r.daticert?.dati.identificativo === identificativo && r.signature.trusted === true);
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function inbox(user: string): Promise<Buffer[]> {
  const imap = new ImapFlow({ host: '127.0.0.1', port: dovecot.ports.imaps, secure: true, tls: { rejectUnauthorized: false }, auth: { user, pass: password }, logger: false });
  await imap.connect();
  try {
    const box = await imap.mailboxOpen('INBOX');
    const sources: Buffer[] = [];
    if (box.exists === 0) return sources;
    for await (const m of imap.fetch('1:*', { source: true })) if (m.source) sources.push(m.source);
    return sources;
  } finally {
    await imap.logout();
  }
}

/** What the holder fetches: Dovecot's Return-Path and our key header on top of the busta as sent. */
const asStored = (raw: Buffer, deliveryKey: string): Buffer =>
  Buffer.concat([Buffer.from(`Return-Path: <posta-certificata@pec.beta.test>\r\nX-PEC-Delivery-Key: ${deliveryKeyHash(deliveryKey)}\r\n`), raw]);

let first: { raw: Buffer; identificativo: string };

test('a busta goes to Dovecot over LMTP: the holder fetches it as sent, the consegna follows; a full box and an unknown address get a mancata consegna', async () => {
  const to = ['bob@pec.beta.test', 'piena@pec.beta.test', 'nessuno@pec.beta.test'];
  first = await busta('LMTP uno', to);
  const result = await receive(first.raw, to);
  assert.deepEqual(result.delivered, ['bob@pec.beta.test']);
  assert.deepEqual(
    result.failed.map((f) => [f.recipient, f.reason.replace(/^([\d.]+) - .* - /, '$1 ')]),
    [
      ['piena@pec.beta.test', '5.2.2 casella piena'],
      ['nessuno@pec.beta.test', '5.1.1 indirizzo non valido'],
    ],
  );
  // presa in carico + one receipt per recipient
  await until('the receipts at Alfa', () => receipts(first.identificativo).length === 4);
  const byRecipient = new Map(receipts(first.identificativo).filter((r) => r.daticert?.dati.consegna).map((r) => [r.daticert!.dati.consegna!, r]));
  assert.equal(byRecipient.get('bob@pec.beta.test')?.kind, 'avvenuta-consegna');
  assert.equal(byRecipient.get('piena@pec.beta.test')?.kind, 'errore-consegna');
  assert.match(byRecipient.get('piena@pec.beta.test')?.daticert?.dati.erroreEsteso ?? '', /casella piena/);
  assert.equal(byRecipient.get('nessuno@pec.beta.test')?.daticert?.errore, 'no-dest');

  const bob = await inbox('bob@pec.beta.test');
  assert.equal(bob.length, 1);
  assert.ok(bob[0].equals(asStored(first.raw, `${first.identificativo} bob@pec.beta.test`)), 'fetched bytes are not the busta under the two documented headers');
  assert.deepEqual(await inbox('piena@pec.beta.test'), []);
  // the keyed delivery is on record, and the usage counter followed
  assert.equal(await db.prisma.lmtpDelivery.count({ where: { recipient: 'bob@pec.beta.test' } }), 1);
  const used = await db.prisma.mailbox.findUniqueOrThrow({ where: { address: 'bob@pec.beta.test' }, select: { usedBytes: true } });
  assert.equal(Number(used.usedBytes), first.raw.length);
});

test('a retry after a crash right after LMTP’s 250 (no record yet) finds the copy and stores nothing twice', async () => {
  const key = `${first.identificativo} bob@pec.beta.test`;
  // the crash: the record insert and the settled state never happened
  await db.prisma.lmtpDelivery.deleteMany({ where: { keyHash: deliveryKeyHash(key) } });
  await db.prisma.pecRecipient.updateMany({ where: { recipient: 'bob@pec.beta.test', message: { identificativo: first.identificativo, direction: 'INBOUND' } }, data: { state: 'TAKEN_IN_CHARGE', deliveredAt: null } });
  // without access to the Maildirs the copy cannot be seen: the documented limit of that window
  const blind = new LmtpMessageStore({ lmtp: { host: '127.0.0.1', port: dovecot.ports.lmtp }, records: new DatabaseLmtpDeliveryRecords(db.prisma), envelopeFrom: 'posta-certificata@pec.beta.test', lhloName: 'pec.beta.test' });
  assert.equal(await blind.isStored('bob@pec.beta.test', key), false);
  await blind.close();

  const result = await receive(first.raw, ['bob@pec.beta.test']);
  assert.deepEqual(result.delivered, ['bob@pec.beta.test']);
  assert.equal((await inbox('bob@pec.beta.test')).length, 1);
  assert.equal(await db.prisma.lmtpDelivery.count({ where: { keyHash: deliveryKeyHash(key) } }), 1, 'the missing record is written');
  // the consegna is spooled under the same key as the first one: Alfa gets it once
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(receipts(first.identificativo).filter((r) => r.kind === 'avvenuta-consegna').length, 1);
});

test('a 4xx from Dovecot issues no receipt; the sender’s retry is delivered once, with one consegna', async () => {
  // a Maildir Dovecot cannot open: it answers with a temporary failure
  const locked = path.dirname(maildirPath(maildirRoot, 'bloccata@pec.beta.test'));
  mkdirSync(locked, { recursive: true });
  chmodSync(locked, 0o000);
  const b = await busta('LMTP bloccata', ['bloccata@pec.beta.test']);
  await assert.rejects(receive(b.raw, ['bloccata@pec.beta.test']), (err: Error) => err instanceof TemporaryStoreError && /LMTP .* 4\d\d/.test(err.message));
  const sent = await db.prisma.transmissionLog.count({ where: { identificativo: b.identificativo, eventType: { in: ['AVVENUTA_CONSEGNA_SENT', 'MANCATA_CONSEGNA_SENT'] } } });
  assert.equal(sent, 0);
  const state = await db.prisma.pecRecipient.findFirstOrThrow({ where: { recipient: 'bloccata@pec.beta.test', message: { identificativo: b.identificativo } } });
  assert.equal(state.state, 'TAKEN_IN_CHARGE');

  // the box is readable again; the sending provider retries the busta
  chmodSync(locked, 0o700);
  execFileSync('chown', ['-R', `${mailUid}:${mailUid}`, locked]);
  const retried = await receive(b.raw, ['bloccata@pec.beta.test']);
  assert.deepEqual(retried.delivered, ['bloccata@pec.beta.test']);
  await until('the consegna at Alfa', () => receipts(b.identificativo).some((r) => r.kind === 'avvenuta-consegna'));
  assert.equal((await inbox('bloccata@pec.beta.test')).length, 1);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(receipts(b.identificativo).filter((r) => r.kind === 'avvenuta-consegna').length, 1);
});

test('a consegna for a holder whose box is full is taken and moves the state, though Dovecot cannot store it', async () => {
  // piena@ sent a PEC to Alfa; Alfa's consegna comes back while piena's box is full
  const identificativo = newPecMessageId(new Date(), { domain: 'pec.beta.test' });
  await runtime.state.recordSubmission({
    identificativo,
    originalMessageId: '<piena.1@client.beta.test>',
    sender: 'piena@pec.beta.test',
    subject: 'Dalla casella piena',
    receiptType: 'sintetica',
    sizeBytes: 100,
    recipients: [{ address: 'alice@pec.alfa.test', tipo: 'certificato', field: 'to' }],
    original: Buffer.from('From: piena@pec.beta.test\r\nTo: alice@pec.alfa.test\r\nSubject: Dalla casella piena\r\n\r\nx\r\n'),
    acceptedAt: new Date(),
  });
  const consegna = await buildAvvenutaConsegna({
    ctx: alfaCtx(),
    facts: {
      mittente: 'piena@pec.beta.test',
      destinatari: [{ address: 'alice@pec.alfa.test', tipo: 'certificato' }],
      risposte: 'piena@pec.beta.test',
      oggetto: 'Dalla casella piena',
      identificativo,
      msgid: '<piena.1@client.beta.test>',
      ricevuta: 'sintetica',
    },
    consegna: 'alice@pec.alfa.test',
    ricevuta: 'sintetica',
  });
  const result = await runtime.reception.receive({ from: consegna.envelope.from, to: ['piena@pec.beta.test'] }, messageBytes(consegna));
  assert.equal(result.verdict, 'receipt');
  assert.equal(result.accept, true, 'the receipt is taken (250), not bounced');
  assert.deepEqual(result.delivered, []);
  assert.match(result.failed[0]?.reason ?? '', /^552 5\.2\.2 /);
  const row = await db.prisma.pecRecipient.findFirstOrThrow({ where: { recipient: 'alice@pec.alfa.test', message: { identificativo } } });
  assert.equal(row.state, 'DELIVERED', 'no 24 h timeout will fire for a delivered message');
  const logged = await db.prisma.transmissionLog.findFirstOrThrow({ where: { identificativo, eventType: 'AVVENUTA_CONSEGNA_RECEIVED' } });
  assert.equal(logged.outcome, 'ERROR');
  assert.deepEqual(await inbox('piena@pec.beta.test'), []);
});

test('LMTP store: Dovecot’s own answers and an unreachable listener', async () => {
  const store = new LmtpMessageStore({ lmtp: { host: '127.0.0.1', port: dovecot.ports.lmtp }, records: new DatabaseLmtpDeliveryRecords(db.prisma), envelopeFrom: 'posta-certificata@pec.beta.test', lhloName: 'pec.beta.test', maildirRoot });
  const message = Buffer.from('Subject: prova\r\n\r\nciao\r\n');
  const unknown = await store.store('nessuno@pec.beta.test', message);
  assert.equal(unknown.stored, false);
  assert.equal(!unknown.stored && unknown.refusal, 'unknown-mailbox');
  assert.match(!unknown.stored ? unknown.detail : '', /^550 5\.1\.1 /);
  await store.close();

  const down = new LmtpMessageStore({ lmtp: { host: '127.0.0.1', port: await findFreePort() }, records: new DatabaseLmtpDeliveryRecords(db.prisma), envelopeFrom: 'posta-certificata@pec.beta.test', lhloName: 'pec.beta.test' });
  await assert.rejects(down.store('bob@pec.beta.test', message, { deliveryKey: 'x bob@pec.beta.test' }), TemporaryStoreError);
  assert.equal(await down.isStored('bob@pec.beta.test', 'x bob@pec.beta.test'), false);
  await down.close();

  assert.deepEqual(classifyLmtpAnswer(452, '452 4.2.2 <a@b.it> Mailbox is full'), { stored: false, refusal: 'over-quota', detail: '452 4.2.2 <a@b.it> Mailbox is full' });
  assert.equal(classifyLmtpAnswer(452, '452 4.3.1 Insufficient system storage'), 'temporary');
  assert.deepEqual(classifyLmtpAnswer(554, '554 5.6.0 Invalid message'), { stored: false, refusal: 'rejected', detail: '554 5.6.0 Invalid message' });
  // keyed deliveries are remembered for the retention period only
  const records = new DatabaseLmtpDeliveryRecords(db.prisma);
  await records.add('old-key', 'bob@pec.beta.test');
  await db.prisma.lmtpDelivery.update({ where: { keyHash: 'old-key' }, data: { storedAt: new Date(Date.now() - 8 * 86_400_000) } });
  await records.prune(new Date(Date.now() - 7 * 86_400_000));
  assert.equal(await records.has('old-key'), false);
  assert.equal(await records.has(deliveryKeyHash(`${first.identificativo} bob@pec.beta.test`)), true);
  // no file of the Maildirs was left behind by the refused deliveries
  assert.deepEqual(readdirSync(path.join(maildirPath(maildirRoot, 'piena@pec.beta.test'), 'new')), []);
});

test('MTA_DELIVERY=lmtp needs MTA_LMTP_ADDRESS (host:port)', () => {
  assert.deepEqual(loadConfig({ MTA_DELIVERY: 'lmtp', MTA_LMTP_ADDRESS: 'dovecot:24' }).delivery, { kind: 'lmtp', host: 'dovecot', port: 24 });
  assert.deepEqual(loadConfig({}).delivery, { kind: 'maildir' });
  assert.throws(() => loadConfig({ MTA_DELIVERY: 'lmtp' }), (e: ConfigError) => e instanceof ConfigError && e.variable === 'MTA_LMTP_ADDRESS');
  assert.throws(() => loadConfig({ MTA_DELIVERY: 'lmtp', MTA_LMTP_ADDRESS: 'dovecot' }), (e: ConfigError) => e.variable === 'MTA_LMTP_ADDRESS');
  assert.throws(() => loadConfig({ MTA_DELIVERY: 'smtp' }), (e: ConfigError) => e.variable === 'MTA_DELIVERY');
});
