/**
 * A busta our relay cannot deliver, over real SMTP on loopback: Alfa's MTA runtime (real database,
 * spool, relay, in-process reception point) relays to SMTP servers that refuse — an ordinary server
 * answering 550 to a recipient, a certified provider answering 554 to the whole busta — or to a
 * port where nobody listens until the (shortened) queue lifetime runs out. The sender's Maildir
 * must get exactly one DSN or avviso di mancata consegna per recipient, signed where PEC, and the
 * 24 h timer, a second report of the outcome and a crash after the claim add nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '@/lib/config';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '@/lib/db/embedded';
import { findFreePort, startTestDatabase, type TestDatabase } from '@/lib/db/testing';
import { decodeBody, readMime } from '@/mail/pec';
import { createMtaRuntime, type MtaRuntime } from './provider-runtime';
import { relayFailureMark } from './message-state';
import { RelayFailures } from './relay-failure';
import { readMaildir, verifiesWithOpenssl, waitFor, type StoredMessage } from './testing/observe';
import {
  createMailboxes,
  issueProviderPki,
  pkiEnv,
  writeProviderPkiFiles,
  type ProviderPki,
} from './testing/provider-fixture';
import { startSmtpSink, type SmtpSink } from './testing/smtp-sink';

const work = mkdtempSync(path.join(os.tmpdir(), 'pec-relay-failure-'));
const maildirRoot = path.join(work, 'maildir');
const alice = 'alice@pec.alfa.test';
let db: TestDatabase;
let ordinary: SmtpSink;
let beta: SmtpSink;
let runtime: MtaRuntime;
let alfa: ProviderPki;
let caFile: string;
/** The database server started again by the outage test (db.stop() stops only the first one). */
let restarted: EmbeddedPostgresHandle | undefined;

before(async () => {
  [db, ordinary, beta] = await Promise.all([
    startTestDatabase(),
    startSmtpSink({ startTls: false, rejectRecipients: ['dave@example.test'] }),
    startSmtpSink({
      startTls: false,
      refuseData: { code: 554, message: '5.7.1 busta rifiutata dal gestore' },
    }),
  ]);
  alfa = issueProviderPki({ name: 'Alfa PEC S.p.A.', domain: 'pec.alfa.test' });
  const betaPki = issueProviderPki({ name: 'Beta PEC S.r.l.', domain: 'pec.beta.test' });
  const gammaPki = issueProviderPki({ name: 'Gamma PEC S.p.A.', domain: 'pec.gamma.test' });
  const files = writeProviderPkiFiles(path.join(work, 'pki'), alfa, [alfa, betaPki, gammaPki]);
  caFile = path.join(work, 'pki', 'alfa-ca.pem');
  writeFileSync(caFile, alfa.ca.rootPem);
  // alice refuses ordinary mail: the DSN must reach her all the same
  await createMailboxes(db.prisma, alfa.spec.name, [
    { address: alice, password: 'Segreta-123', ordinaryMail: 'REFUSE' },
  ]);
  const nobody = await findFreePort();
  const config = loadConfig({
    ...pkiEnv(files),
    DATABASE_URL: db.url,
    PEC_DATA_DIR: work,
    MAILDIR_ROOT: maildirRoot,
    MTA_SPOOL_DIR: path.join(work, 'spool'),
    PEC_MAIL_DOMAIN: alfa.spec.domain,
    PEC_PROVIDER_NAME: alfa.spec.name,
    // unreachable domains give up after 3 s, retried every second
    MTA_QUEUE_MAX_AGE_SECONDS: '3',
    MTA_RETRY_SECONDS: '1',
    MTA_STATIC_ROUTES: [
      `example.test=127.0.0.1:${ordinary.port}`,
      `pec.beta.test=127.0.0.1:${beta.port}`,
      `unreachable.test=127.0.0.1:${nobody}`,
      `pec.gamma.test=127.0.0.1:${nobody}`,
    ].join(','),
  });
  runtime = await createMtaRuntime(config, db.prisma, { material: { databaseUrl: db.url } });
});

after(async () => {
  await runtime?.close();
  await Promise.all([ordinary?.close(), beta?.close()]);
  await restarted?.stop();
  await db?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function submit(subject: string, to: string[]): Promise<string> {
  const raw = Buffer.from(
    [
      `From: ${alice}`,
      `To: ${to.join(', ')}`,
      `Subject: ${subject}`,
      `Message-ID: <${subject.replace(/\W/g, '')}@client.alfa.test>`,
      '',
      'Buongiorno.',
      '',
    ].join('\r\n'),
  );
  const result = await runtime.submission.submit(alice, { from: alice, to }, raw);
  assert.ok(result.accepted, 'accettazione');
  return result.identificativo;
}

/** What reached alice about `subject`, besides her accettazione. */
function aliceGot(subject: string): StoredMessage[] {
  return readMaildir(maildirRoot, alice).filter(
    (m) => (m.r.subject ?? '').includes(subject) && m.r.kind !== 'accettazione',
  );
}

/** Waits until something besides her accettazione reaches alice about `subject`. */
function aliceReceives(subject: string, what: string): Promise<StoredMessage[]> {
  return waitFor(
    what,
    () => {
      const m = aliceGot(subject);
      return m.length > 0 ? m : undefined;
    },
    20_000,
  );
}

/** The delivery-status part of a DSN carried inside a busta di anomalia. */
function deliveryStatus(m: StoredMessage): string {
  const inner = m.r.original;
  assert.ok(inner, 'the anomalia carries the DSN');
  const { root } = readMime(inner);
  assert.equal(root.mimeType, 'multipart/report');
  assert.equal(root.params['report-type'], 'delivery-status');
  const part = root.parts.find((e) => e.mimeType === 'message/delivery-status');
  assert.ok(part, 'message/delivery-status part');
  return decodeBody(part).toString('latin1');
}

async function logRows(identificativo: string, type: string) {
  return db.prisma.transmissionLog.findMany({ where: { identificativo, eventType: type } });
}

async function recipientState(identificativo: string, recipient: string) {
  return db.prisma.pecRecipient.findFirstOrThrow({
    where: { recipient, message: { identificativo, direction: 'OUTBOUND' } },
  });
}

describe('a busta that cannot be relayed', () => {
  it('esterno recipient refused with 550: one DSN naming it, inside a signed busta di anomalia', async () => {
    const subject = 'Ordinaria rifiutata';
    const id = await submit(subject, ['dave@example.test', 'erin@example.test']);
    const got = await aliceReceives(subject, 'the DSN for dave');
    await runtime.spool.idle();
    assert.equal(aliceGot(subject).length, 1, 'one message only: erin was delivered');
    const [anomalia] = got;
    assert.equal(anomalia.r.kind, 'anomalia');
    assert.ok(verifiesWithOpenssl(anomalia.raw, caFile), 'signed by Alfa');
    const status = deliveryStatus(anomalia);
    assert.match(status, /Final-Recipient: rfc822; dave@example\.test/);
    assert.match(status, /Action: failed/);
    assert.match(status, /Status: 5\.1\.1/);
    assert.match(status, /Diagnostic-Code: smtp; 550 5\.1\.1 no such user/);
    assert.match(status, new RegExp(`Original-Envelope-Id: ${id.replace(/\./g, '\\.')}`));
    assert.doesNotMatch(status, /erin/);
    assert.equal(ordinary.messages.length, 1);
    assert.deepEqual(ordinary.messages[0].to, ['erin@example.test']);

    const dave = await recipientState(id, 'dave@example.test');
    assert.equal(dave.state, 'FAILED');
    assert.ok(
      dave.failureReason?.startsWith(`${relayFailureMark}5.1.1 - example.test - 550 5.1.1`),
      dave.failureReason ?? '',
    );
    const rows = await logRows(id, 'MANCATA_CONSEGNA_SENT');
    assert.equal(rows.length, 1);
    assert.equal(rows[0].recipient, 'dave@example.test');
    assert.equal((rows[0].details as { notice: string }).notice, 'dsn');
  });

  it('certified provider refusing the busta with 554: one avviso di mancata consegna at once, none from the timer', async () => {
    const subject = 'Certificata rifiutata';
    const id = await submit(subject, ['bob@pec.beta.test']);
    const [notice] = await aliceReceives(subject, 'the mancata consegna for bob');
    assert.equal(notice.r.kind, 'errore-consegna');
    assert.match(notice.r.subject ?? '', /^AVVISO DI MANCATA CONSEGNA: /);
    assert.ok(verifiesWithOpenssl(notice.raw, caFile), 'openssl smime -verify with Alfa’s CA');
    const d = notice.r.daticert!;
    assert.equal(d.tipo, 'errore-consegna');
    assert.equal(d.errore, 'altro');
    assert.equal(d.dati.consegna, 'bob@pec.beta.test');
    assert.equal(d.dati.identificativo, id);
    assert.equal(d.dati.erroreEsteso, '5.7.1 - Beta PEC S.r.l. - 554 5.7.1 busta rifiutata dal gestore');

    const bob = await recipientState(id, 'bob@pec.beta.test');
    assert.equal(bob.state, 'FAILED');
    assert.ok(bob.mancataConsegnaSentAt);
    const message = await db.prisma.pecMessage.findFirstOrThrow({
      where: { identificativo: id, direction: 'OUTBOUND' },
    });
    assert.equal(message.state, 'COMPLETED');

    // Past both deadlines the timers find nothing left to say.
    await runtime.timers.tick(new Date(Date.now() + 25 * 3600_000));
    await runtime.spool.idle();
    assert.equal(aliceGot(subject).length, 1);
    assert.equal((await logRows(id, 'TIMEOUT_SENT')).length, 0);
    assert.equal((await logRows(id, 'PREAVVISO_SENT')).length, 0);

    // The same outcome reported again (the MTA died before the spool removed the busta): nothing new.
    const failures = new RelayFailures({
      state: runtime.state,
      context: runtime.context,
      outbox: runtime.spool,
      log: runtime.log,
      index: runtime.index,
    });
    const entry = {
      id: 'again',
      from: alice,
      to: ['bob@pec.beta.test'],
      attempts: 1,
      createdAt: new Date().toISOString(),
      nextAttemptAt: new Date().toISOString(),
      label: 'busta-trasporto',
      ref: id,
    };
    await failures.handle({
      type: 'refused',
      entry,
      recipients: ['bob@pec.beta.test'],
      code: 554,
      reason: '554 5.7.1 busta rifiutata dal gestore',
    });
    await runtime.spool.idle();
    assert.equal(aliceGot(subject).length, 1);
    assert.equal((await logRows(id, 'MANCATA_CONSEGNA_SENT')).length, 1);
  });

  it('a relay failure that claimed the recipient and died before queueing: the retried outcome sends the notice, once', async () => {
    const subject = 'Crash dopo la presa';
    const id = await submit(subject, ['frank@pec.gamma.test']);
    // Gamma never answers; before the busta expires, its recipient is claimed by hand exactly as a
    // relay failure would, with nothing queued (the process died there).
    await db.prisma.pecRecipient.updateMany({
      where: { recipient: 'frank@pec.gamma.test', message: { identificativo: id } },
      data: {
        state: 'FAILED',
        failedAt: new Date(),
        mancataConsegnaSentAt: new Date(),
        failureReason: `${relayFailureMark}4.4.7 - prima del crash`,
      },
    });
    const [notice] = await aliceReceives(subject, 'the notice after the expiry');
    await runtime.spool.idle();
    assert.equal(notice.r.kind, 'errore-consegna');
    assert.ok(verifiesWithOpenssl(notice.raw, caFile));
    assert.match(
      notice.r.daticert!.dati.erroreEsteso ?? '',
      /^4\.4\.7 - Alfa PEC S\.p\.A\. - messaggio non inoltrato entro il tempo massimo di permanenza in coda/,
    );
    // reported once more (a second crash before the spool forgot the busta): nothing new
    const failures = new RelayFailures({
      state: runtime.state,
      context: runtime.context,
      outbox: runtime.spool,
      log: runtime.log,
      index: runtime.index,
    });
    const now = new Date().toISOString();
    const entry = {
      id: 'again',
      from: alice,
      to: ['frank@pec.gamma.test'],
      attempts: 4,
      createdAt: now,
      nextAttemptAt: now,
      label: 'busta-trasporto',
      ref: id,
    };
    await failures.handle({
      type: 'expired',
      entry,
      recipients: ['frank@pec.gamma.test'],
      reason: 'connect ECONNREFUSED',
    });
    await runtime.spool.idle();
    assert.equal(aliceGot(subject).length, 1);
    assert.equal((await logRows(id, 'MANCATA_CONSEGNA_SENT')).length, 1);
  });

  it('esterno recipient whose server never answers: a DSN with status 4.4.7 once the queue lifetime is over', async () => {
    const subject = 'Server irraggiungibile';
    const id = await submit(subject, ['gina@unreachable.test']);
    const [anomalia] = await aliceReceives(subject, 'the expiry DSN');
    await runtime.spool.idle();
    assert.equal(aliceGot(subject).length, 1);
    const status = deliveryStatus(anomalia);
    assert.match(status, /Final-Recipient: rfc822; gina@unreachable\.test/);
    assert.match(status, /Status: 4\.4\.7/);
    // nobody answered: no SMTP reply to quote
    assert.doesNotMatch(status, /Diagnostic-Code/);
    assert.equal((await logRows(id, 'MANCATA_CONSEGNA_SENT')).length, 1);
  });

  it('database down when the queue lifetime runs out: the DSN is kept owed and sent, once, when it is back', async () => {
    const subject = 'Database fermo';
    const id = await submit(subject, ['hank@unreachable.test']);
    // her accettazione goes through our own reception point, which needs the database: in before the outage
    await waitFor('the accettazione', () =>
      readMaildir(maildirRoot, alice).find(
        (m) => m.r.kind === 'accettazione' && (m.r.subject ?? '').includes(subject),
      ),
    );
    const { dataDir, port } = db.server;
    await db.server.stop();
    // The 3 s lifetime runs out meanwhile: neither the refusal's log row nor the claim can be written.
    await new Promise((r) => setTimeout(r, 4500));
    assert.equal(aliceGot(subject).length, 0);
    assert.equal(runtime.spool.size(), 1, 'the busta stays queued while its DSN is owed');

    restarted = await startEmbeddedPostgres({ dataDir, port });
    const [anomalia] = await aliceReceives(subject, 'the DSN after the outage');
    await runtime.spool.idle();
    assert.equal(runtime.spool.size(), 0);
    assert.equal(aliceGot(subject).length, 1);
    const status = deliveryStatus(anomalia);
    assert.match(status, /Final-Recipient: rfc822; hank@unreachable\.test/);
    assert.match(status, /Status: 4\.4\.7/);
    assert.equal((await logRows(id, 'MANCATA_CONSEGNA_SENT')).length, 1);
    const relayed = await logRows(id, 'BUSTA_RELAYED');
    assert.equal(relayed.filter((r) => r.outcome === 'REFUSED').length, 1, 'one final refusal row');
    assert.equal((await recipientState(id, 'hank@unreachable.test')).state, 'FAILED');
  });
});
