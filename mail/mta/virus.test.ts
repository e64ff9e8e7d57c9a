/**
 * Antivirus end to end over real SMTP: two complete providers (A: pec.alfa.test, B: pec.beta.test)
 * whose MTAs scan with a real clamd (one-signature EICAR database, mail/mta/testing/clamd.ts).
 * - alice submits EICAR → avviso di non accettazione per virus, nothing relayed, kept in A's store;
 * - an infected busta signed by A reaches B → no delivery, rilevazione virus to A's service mailbox,
 *   and A sends alice an avviso di mancata consegna per virus;
 * - clean mail still flows; clamd down → temporary failure (4xx) at both points, and the same mail goes through later.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import {
  buildBustaTrasporto,
  createSigner,
  messageBytes,
  newPecMessageId,
  type InspectReport,
  type PecRecipient,
} from '@/mail/pec';
import { MessageStateStore } from './message-state';
import { eicar, eicarSignatureName, startTestClamd, type TestClamd } from './testing/clamd';
import { readMaildir, verifiesWithOpenssl, waitFor, type StoredMessage } from './testing/observe';
import { alfaBeta, startPecNetwork, type PecNetwork, type RunningProvider } from './testing/pec-network';
import { VirusStore } from './virus-store';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pec-virus-'));
let clamd: TestClamd;
let net: PecNetwork;
let A: RunningProvider;
let B: RunningProvider;
const password = 'Segreta-123';

before(async () => {
  clamd = await startTestClamd();
  net = await startPecNetwork({
    dir: tmp,
    echo: process.env.PEC_TEST_ECHO === '1',
    env: { MTA_CLAMAV_ADDRESS: clamd.address, MTA_CLAMAV_TIMEOUT_MS: '5000' },
    providers: alfaBeta(password),
  });
  A = net.providers.A;
  B = net.providers.B;
});

after(async () => {
  await net?.stop();
  await clamd?.close();
  rmSync(tmp, { recursive: true, force: true });
});

function submit(subject: string, attachment: Buffer) {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: A.submissionTlsPort,
    secure: true,
    tls: { rejectUnauthorized: false },
    auth: { user: 'alice@pec.alfa.test', pass: password },
  });
  return transport
    .sendMail({
      from: 'alice@pec.alfa.test',
      to: 'bob@pec.beta.test',
      subject,
      text: 'Buongiorno,\r\nin allegato il documento.\r\n',
      attachments: [{ filename: 'documento.com', content: attachment }],
    })
    .finally(() => transport.close());
}

/** A busta signed by A carrying `attachment`, as A's MTA would relay it (A's own scan bypassed). */
async function bustaFromA(subject: string, attachment: Buffer): Promise<Buffer> {
  return (await buildInfectedBusta(subject, attachment)).raw;
}

async function buildInfectedBusta(subject: string, attachment: Buffer) {
  const signer = createSigner({
    keyPem: A.pki.cert.keyPem,
    certPem: A.pki.cert.certPem,
    chainPem: A.pki.cert.chainPem,
  });
  const ctx = { provider: { name: A.name, domain: A.domain }, signer, now: new Date() };
  const original = Buffer.from(
    [
      'From: alice@pec.alfa.test',
      'To: bob@pec.beta.test',
      `Subject: ${subject}`,
      `Message-ID: <${subject.replace(/\W/g, '')}@client.alfa.test>`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'In allegato.',
      '--b1',
      'Content-Type: application/octet-stream; name="documento.com"',
      'Content-Transfer-Encoding: base64',
      '',
      attachment.toString('base64'),
      '--b1--',
      '',
    ].join('\r\n'),
  );
  const identificativo = newPecMessageId(ctx.now, { domain: A.domain });
  const recipients: PecRecipient[] = [{ address: 'bob@pec.beta.test', tipo: 'certificato', field: 'to' }];
  const raw = messageBytes(
    await buildBustaTrasporto({ ctx, original, sender: 'alice@pec.alfa.test', recipients, identificativo }),
  );
  return { raw, identificativo, original, recipients };
}

async function sendToB(raw: Buffer): Promise<void> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: B.inboundPort,
    secure: false,
    ignoreTLS: true,
  });
  try {
    await transport.sendMail({ envelope: { from: 'alice@pec.alfa.test', to: ['bob@pec.beta.test'] }, raw });
  } finally {
    transport.close();
  }
}

function mailbox(p: RunningProvider, address: string): StoredMessage[] {
  return readMaildir(p.maildirRoot, address);
}
const about = (subject: string) => (m: { r: InspectReport }) => (m.r.subject ?? '').includes(subject);
const waitForAsync = waitFor;

const verifies = verifiesWithOpenssl;

const header = (raw: Buffer, name: string) =>
  new RegExp(`^${name}:\\s*(.*)$`, 'mi').exec(raw.toString('latin1').split('\r\n\r\n')[0])?.[1]?.trim();
// A local failure at end of DATA is 451 4.3.0: temporary, the sender keeps the message and retries.
const temporaryFailure = (err: Error & { responseCode?: number }) =>
  err.responseCode === 451 && /4\.3\.0/.test(err.message);
const virusRows = (p: RunningProvider) =>
  p.db.prisma.transmissionLog.findMany({ where: { eventType: 'VIRUS' }, orderBy: { occurredAt: 'asc' } });

describe('antivirus at the access and reception points (real clamd)', () => {
  it('clean mail still flows: accettazione and consegna', async () => {
    const subject = 'Documento pulito';
    const info = await submit(subject, Buffer.from('%PDF-1.4 innocuo'));
    assert.match(info.response, /^250 .*accettato/);
    const got = await waitFor('accettazione + consegna', () => {
      const m = mailbox(A, 'alice@pec.alfa.test').filter(about(subject));
      return m.length >= 2 ? m : undefined;
    });
    assert.deepEqual(got.map((m) => m.r.kind).sort(), ['accettazione', 'avvenuta-consegna']);
    assert.equal(mailbox(B, 'bob@pec.beta.test').filter(about(subject)).length, 1);
  });

  it('access point: EICAR → non accettazione per virus, nothing relayed, VIRUS row, kept in A’s virus store', async () => {
    const subject = 'Fattura infetta';
    const info = await submit(subject, eicar);
    assert.match(info.response, /^250 .*non accettato: virus/);
    const notice = await waitFor(
      'non accettazione per virus',
      () => mailbox(A, 'alice@pec.alfa.test').filter(about(subject))[0],
    );
    assert.equal(notice.r.kind, 'non-accettazione');
    assert.match(notice.r.subject ?? '', /^AVVISO DI NON ACCETTAZIONE PER VIRUS: /);
    assert.equal(header(notice.raw, 'X-VerificaSicurezza'), 'errore');
    assert.equal(notice.r.daticert?.errore, 'virus');
    assert.match(
      notice.r.daticert?.dati.erroreEsteso ?? '',
      new RegExp(eicarSignatureName.replace(/\./g, '\\.')),
    );
    assert.ok(verifies(notice.raw, A.caFile), 'the notice is signed by A');

    const identificativo = notice.r.daticert!.dati.identificativo;
    const rows = (await virusRows(A)).filter((r) => r.identificativo === identificativo);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].outcome, 'REFUSED');
    assert.equal((rows[0].details as { virus?: string }).virus, eicarSignatureName);
    const stored = (await new VirusStore(path.join(A.env.PEC_DATA_DIR!, 'virus-store')).list()).filter(
      (s) => s.identificativo === identificativo,
    );
    assert.equal(stored.length, 1);
    assert.equal(stored[0].stage, 'access-point');
    assert.ok(
      readFileSync(stored[0].messageFile).includes(eicar.toString('base64').slice(0, 40)),
      'the message as submitted',
    );
    // nothing was relayed: no busta at B, no busta row, no accettazione
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(mailbox(B, 'bob@pec.beta.test').filter(about(subject)).length, 0);
    const events = (await A.db.prisma.transmissionLog.findMany({ where: { identificativo } })).map(
      (e) => e.eventType,
    );
    for (const t of ['SUBMISSION', 'VIRUS', 'NON_ACCETTAZIONE'])
      assert.ok(events.includes(t), `A logged ${t}`);
    for (const t of ['ACCETTAZIONE', 'BUSTA_RELAYED']) assert.ok(!events.includes(t), `A did not log ${t}`);
  });

  it('reception point: infected busta → not delivered, rilevazione virus to A, mancata consegna per virus to alice', async () => {
    const subject = 'Busta infetta';
    const busta = await buildInfectedBusta(subject, eicar);
    const raw = busta.raw;
    // A's state knows the message, as when A's own scanner missed the virus and accepted it
    await new MessageStateStore(A.db.prisma, {
      preavvisoSeconds: 43200,
      mancataConsegnaSeconds: 86400,
      archiveDir: path.join(tmp, 'archive'),
    }).recordSubmission({
      identificativo: busta.identificativo,
      originalMessageId: '<Bustainfetta@client.alfa.test>',
      sender: 'alice@pec.alfa.test',
      subject,
      receiptType: 'completa',
      sizeBytes: busta.original.length,
      recipients: busta.recipients,
      original: busta.original,
      acceptedAt: new Date(),
    });
    await sendToB(raw);
    const rilevazione = await waitFor('rilevazione virus at A', () =>
      mailbox(A, 'posta-certificata@pec.alfa.test')
        .filter(about(subject))
        .find((m) => m.r.kind === 'rilevazione-virus'),
    );
    assert.match(rilevazione.r.subject ?? '', /^PROBLEMA DI SICUREZZA: /);
    assert.equal(header(rilevazione.raw, 'X-Mittente'), 'alice@pec.alfa.test');
    assert.equal(rilevazione.r.daticert?.dati.consegna, 'bob@pec.beta.test');
    assert.ok(verifies(rilevazione.raw, B.caFile), 'rilevazione signed by B');

    const mancata = await waitFor('mancata consegna per virus for alice', () =>
      mailbox(A, 'alice@pec.alfa.test')
        .filter(about(subject))
        .find((m) => m.r.kind === 'errore-consegna'),
    );
    assert.match(mancata.r.subject ?? '', /^AVVISO DI MANCATA CONSEGNA PER VIRUS: /);
    assert.equal(header(mancata.raw, 'X-VerificaSicurezza'), 'errore');
    assert.equal(mancata.r.daticert?.errore, 'virus');
    assert.equal(mancata.r.daticert?.dati.consegna, 'bob@pec.beta.test');
    assert.ok(verifies(mancata.raw, A.caFile), 'mancata consegna signed by A');

    assert.equal(mailbox(B, 'bob@pec.beta.test').filter(about(subject)).length, 0, 'bob never gets it');
    const identificativo = rilevazione.r.daticert!.dati.identificativo;
    const atB = (await virusRows(B)).filter((r) => r.identificativo === identificativo);
    assert.deepEqual(
      atB.map((r) => [r.recipient, r.outcome]),
      [['bob@pec.beta.test', 'REFUSED']],
    );
    const storedAtB = (await new VirusStore(path.join(B.env.PEC_DATA_DIR!, 'virus-store')).list()).filter(
      (s) => s.identificativo === identificativo,
    );
    assert.deepEqual(
      storedAtB.map((s) => [s.stage, s.counterpartProvider, s.virus]),
      [['reception-point', A.name, eicarSignatureName]],
    );
    const kept = readFileSync(storedAtB[0].messageFile);
    assert.ok(
      kept.subarray(kept.length - raw.length).equals(raw),
      'the busta as received (after the Received: line Haraka adds)',
    );
    // A's own VIRUS row (the rilevazione received) is written before A answers B
    assert.equal((await virusRows(A)).filter((r) => r.identificativo === identificativo).length, 1);

    // A's state: bob failed for the virus, so no preavviso or 24 h notice will follow
    const atAState = await waitForAsync('bob FAILED at A', async () => {
      const r = await A.db.prisma.pecRecipient.findFirst({
        where: { recipient: 'bob@pec.beta.test', message: { identificativo, direction: 'OUTBOUND' } },
      });
      return r?.state === 'FAILED' ? r : undefined;
    });
    assert.match(atAState.failureReason ?? '', /virus/);

    // the same busta again (as after a crash of B before its answer): nothing is sent twice
    await sendToB(raw);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(
      mailbox(A, 'posta-certificata@pec.alfa.test')
        .filter(about(subject))
        .filter((m) => m.r.kind === 'rilevazione-virus').length,
      1,
    );
    assert.equal(mailbox(A, 'alice@pec.alfa.test').filter(about(subject)).length, 1);
  });

  it('clamd down → temporary failure (4xx) at both points and nothing is lost: the same mail goes through once clamd is back', async () => {
    await clamd.stop();
    try {
      await assert.rejects(submit('Mentre clamd dorme', Buffer.from('pulito')), temporaryFailure);
      const busta = await bustaFromA('Busta mentre clamd dorme', Buffer.from('pulito'));
      await assert.rejects(sendToB(busta), temporaryFailure);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(
        mailbox(A, 'alice@pec.alfa.test').filter(about('Mentre clamd dorme')).length,
        0,
        'no accettazione for unscanned mail',
      );
      assert.equal(
        mailbox(B, 'bob@pec.beta.test').filter(about('clamd dorme')).length,
        0,
        'nothing delivered unscanned',
      );

      await clamd.start();
      assert.match((await submit('Mentre clamd dorme', Buffer.from('pulito'))).response, /^250 .*accettato/);
      await sendToB(busta);
      await waitFor(
        'both delivered to bob',
        () => mailbox(B, 'bob@pec.beta.test').filter(about('clamd dorme')).length === 2,
      );
    } finally {
      await clamd.start(); // no-op when already running
    }
  });
});
