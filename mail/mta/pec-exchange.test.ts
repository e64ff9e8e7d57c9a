/**
 * End to end over real SMTP: two complete providers, A (pec.alfa.test) and B (pec.beta.test), each
 * a real Haraka with our plugins and its own database and CA, plus an ordinary SMTP sink. Alice
 * submits with nodemailer over implicit TLS; every system message must verify with openssl.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { SmtpDialogue } from '@/scripts/lib/smtp-dialogue';
import { inspectMessage, type InspectReport } from '@/mail/pec';
import { readMaildir, verifiesWithOpenssl, waitFor, type StoredMessage } from './testing/observe';
import { alfaBeta, startPecNetwork, type PecNetwork, type RunningProvider } from './testing/pec-network';
import { startSmtpSink, type SmtpSink } from './testing/smtp-sink';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pec-exchange-'));
let net: PecNetwork;
let sink: SmtpSink;
let A: RunningProvider;
let B: RunningProvider;
const password = 'Segreta-123';

before(async () => {
  sink = await startSmtpSink();
  net = await startPecNetwork({
    dir: tmp,
    echo: process.env.PEC_TEST_ECHO === '1',
    extraRoutes: { 'example.test': sink.port },
    providers: alfaBeta(password, ['bob', 'carol']),
  });
  A = net.providers.A;
  B = net.providers.B;
});

after(async () => {
  await net?.stop();
  await sink?.close();
  rmSync(tmp, { recursive: true, force: true });
});

function submit(
  message: { from?: string; to?: string; cc?: string; bcc?: string; subject: string },
  auth = { user: 'alice@pec.alfa.test', pass: password },
  envelope?: { from: string; to: string[] },
) {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: A.submissionTlsPort,
    secure: true,
    tls: { rejectUnauthorized: false },
    auth,
  });
  return transport
    .sendMail({
      from: message.from ?? 'alice@pec.alfa.test',
      to: message.to,
      cc: message.cc,
      bcc: message.bcc,
      subject: message.subject,
      text: 'Buongiorno,\r\nin allegato la fattura.\r\n',
      attachments: [{ filename: 'fattura.pdf', content: Buffer.from('%PDF-1.4 demo') }],
      envelope,
    })
    .finally(() => transport.close());
}

function mailbox(p: RunningProvider, address: string): StoredMessage[] {
  return readMaildir(p.maildirRoot, address);
}

const waitForAsync = waitFor;

const verifies = verifiesWithOpenssl;

const about = (subject: string) => (m: { r: InspectReport }) => (m.r.subject ?? '').includes(subject);

describe('PEC exchange between two providers', () => {
  it('alice → bob (To) + carol (Cc) + an ordinary address: accettazione, bustas, two consegne', async () => {
    const subject = 'Fattura 12';
    const info = await submit({
      to: 'bob@pec.beta.test, dave@example.test',
      cc: 'carol@pec.beta.test',
      subject,
    });
    assert.match(info.response, /^250 .*accettato/);

    const alice = await waitFor('1 accettazione + 2 consegne for alice', () => {
      const got = mailbox(A, 'alice@pec.alfa.test').filter(about(subject));
      return got.length >= 3 ? got : undefined;
    });
    const kinds = alice.map((m) => m.r.kind).sort();
    assert.deepEqual(kinds, ['accettazione', 'avvenuta-consegna', 'avvenuta-consegna']);
    const acc = alice.find((m) => m.r.kind === 'accettazione')!;
    assert.ok(verifies(acc.raw, A.caFile), 'accettazione verifies with A’s CA');
    const tipi = Object.fromEntries(acc.r.daticert!.intestazione.destinatari.map((d) => [d.address, d.tipo]));
    assert.deepEqual(tipi, {
      'bob@pec.beta.test': 'certificato',
      'carol@pec.beta.test': 'certificato',
      'dave@example.test': 'esterno',
    });
    const consegne = alice.filter((m) => m.r.kind === 'avvenuta-consegna');
    for (const c of consegne) assert.ok(verifies(c.raw, B.caFile), 'consegna verifies with B’s CA');
    const byRecipient = Object.fromEntries(
      consegne.map((c) => [c.r.daticert!.dati.consegna, c.r.receiptType]),
    );
    assert.deepEqual(byRecipient, { 'bob@pec.beta.test': 'completa', 'carol@pec.beta.test': 'sintetica' });

    for (const who of ['bob@pec.beta.test', 'carol@pec.beta.test']) {
      const got = mailbox(B, who).filter(about(subject));
      assert.equal(got.length, 1, `${who} holds the busta`);
      assert.equal(got[0].r.kind, 'posta-certificata');
      assert.ok(verifies(got[0].raw, A.caFile), 'busta verifies with A’s CA');
    }
    // The presa in carico reaches A's service mailbox; the ordinary recipient gets the busta by SMTP.
    const presa = await waitFor('presa in carico at A', () =>
      mailbox(A, 'posta-certificata@pec.alfa.test')
        .filter(about(subject))
        .find((m) => m.r.kind === 'presa-in-carico'),
    );
    assert.ok(verifies(presa.raw, B.caFile));
    await sink.waitFor(1);
    assert.deepEqual(sink.messages[0].to, ['dave@example.test']);
    assert.equal(inspectMessage(sink.messages[0].raw).kind, 'posta-certificata');

    // A's state: both certified recipients delivered (matched from the returning receipts), the
    // ordinary one relayed; the transaction is complete and the log tells the story.
    const identificativo = acc.r.daticert!.dati.identificativo;
    const message = await waitForAsync('COMPLETED state at A', async () => {
      const m = await A.db.prisma.pecMessage.findFirst({
        where: { identificativo, direction: 'OUTBOUND' },
        include: { recipients: true },
      });
      return m?.state === 'COMPLETED' ? m : undefined;
    });
    const states = Object.fromEntries(message.recipients.map((r) => [r.recipient, r.state]));
    assert.deepEqual(states, {
      'bob@pec.beta.test': 'DELIVERED',
      'carol@pec.beta.test': 'DELIVERED',
      'dave@example.test': 'RELAYED',
    });
    const events = (await A.db.prisma.transmissionLog.findMany({ where: { identificativo } })).map(
      (e) => e.eventType,
    );
    for (const t of [
      'SUBMISSION',
      'ACCETTAZIONE',
      'BUSTA_RELAYED',
      'PRESA_IN_CARICO_RECEIVED',
      'AVVENUTA_CONSEGNA_RECEIVED',
    ]) {
      assert.ok(events.includes(t), `A logged ${t}`);
    }
    const atB = (await B.db.prisma.transmissionLog.findMany({ where: { identificativo } }))
      .map((e) => e.eventType)
      .sort();
    assert.deepEqual(atB, [
      'AVVENUTA_CONSEGNA_SENT',
      'AVVENUTA_CONSEGNA_SENT',
      'PRESA_IN_CARICO_SENT',
      'RECEIVED',
      'RECEIVED',
    ]);
  });

  it('Bcc → avviso di non accettazione, nothing relayed', async () => {
    const subject = 'Con copia nascosta';
    const before = sink.messages.length;
    await submit({ to: 'bob@pec.beta.test', bcc: 'carol@pec.beta.test', subject });
    const notice = await waitFor(
      'non accettazione',
      () => mailbox(A, 'alice@pec.alfa.test').filter(about(subject))[0],
    );
    assert.equal(notice.r.kind, 'non-accettazione');
    assert.ok(verifies(notice.raw, A.caFile));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(mailbox(B, 'bob@pec.beta.test').filter(about(subject)).length, 0);
    assert.equal(sink.messages.length, before);
  });

  it('unknown recipient at B → avviso di mancata consegna to alice', async () => {
    const subject = 'Per zed';
    await submit({ to: 'zed@pec.beta.test', subject });
    const got = await waitFor('mancata consegna', () =>
      mailbox(A, 'alice@pec.alfa.test')
        .filter(about(subject))
        .find((m) => m.r.kind === 'errore-consegna'),
    );
    assert.equal(got.r.daticert?.dati.consegna, 'zed@pec.beta.test');
    assert.ok(verifies(got.raw, B.caFile));
  });

  it('refuses a wrong password, and offers no AUTH without TLS', async () => {
    await assert.rejects(
      submit({ to: 'bob@pec.beta.test', subject: 'x' }, { user: 'alice@pec.alfa.test', pass: 'wrong' }),
      /535|Invalid login/,
    );
    const plain = nodemailer.createTransport({
      host: '127.0.0.1',
      port: A.submissionStarttlsPort,
      secure: false,
      ignoreTLS: true,
      auth: { user: 'alice@pec.alfa.test', pass: password },
    });
    await assert.rejects(
      plain.sendMail({ from: 'alice@pec.alfa.test', to: 'bob@pec.beta.test', subject: 'x', text: 'x' }),
      /AUTH|authentication|530|5\.7/i,
    );
    plain.close();
  });

  it('refuses a sender whose own box is full with 452 4.2.2 before DATA, and logs it', async () => {
    const alice = await A.db.prisma.mailbox.findUniqueOrThrow({ where: { address: 'alice@pec.alfa.test' } });
    await A.db.prisma.mailbox.update({ where: { id: alice.id }, data: { usedBytes: alice.quotaBytes } });
    // the MTA remembers a mailbox for 1.5 s (mailbox-directory.ts): a portal change shows after that
    const mailboxCacheMs = 1600;
    await new Promise((r) => setTimeout(r, mailboxCacheMs));
    try {
      const before = readMaildir(A.maildirRoot, 'alice@pec.alfa.test').length;
      await assert.rejects(
        submit({ to: 'bob@pec.beta.test', subject: 'Casella piena' }),
        (err: Error & { responseCode?: number; response?: string }) => {
          assert.equal(err.responseCode, 452);
          assert.match(err.response ?? '', /4\.2\.2 mailbox alice@pec\.alfa\.test is full/);
          return true;
        },
      );
      const refused = await A.db.prisma.transmissionLog.findMany({
        where: { eventType: 'REFUSED', sender: 'alice@pec.alfa.test' },
      });
      assert.equal(refused.length, 1);
      assert.equal((refused[0].details as { reason?: string }).reason, 'sender mailbox full');
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(
        readMaildir(A.maildirRoot, 'alice@pec.alfa.test').length,
        before,
        'no accettazione, nothing issued',
      );
      assert.equal(await A.db.prisma.pecMessage.count({ where: { subject: 'Casella piena' } }), 0);
    } finally {
      await A.db.prisma.mailbox.update({ where: { id: alice.id }, data: { usedBytes: alice.usedBytes } });
      await new Promise((r) => setTimeout(r, mailboxCacheMs));
    }
  });

  it("refuses with 452 4.2.2 at end of DATA when the sender's box fills up after MAIL FROM", async () => {
    const alice = await A.db.prisma.mailbox.findUniqueOrThrow({ where: { address: 'alice@pec.alfa.test' } });
    const mailboxCacheMs = 1600;
    const { smtp } = await SmtpDialogue.openTls('127.0.0.1', A.submissionTlsPort);
    try {
      assert.equal((await smtp.command('EHLO client.test')).code, 250);
      const credentials = Buffer.from(`\0alice@pec.alfa.test\0${password}`).toString('base64');
      assert.equal((await smtp.command(`AUTH PLAIN ${credentials}`)).code, 235);
      assert.equal((await smtp.command('MAIL FROM:<alice@pec.alfa.test>')).code, 250);
      assert.equal((await smtp.command('RCPT TO:<bob@pec.beta.test>')).code, 250);
      // the box fills (another message, a portal change) while the client is still sending
      await A.db.prisma.mailbox.update({ where: { id: alice.id }, data: { usedBytes: alice.quotaBytes } });
      await new Promise((r) => setTimeout(r, mailboxCacheMs));
      assert.equal((await smtp.command('DATA')).code, 354);
      const reply = await smtp.command(
        'From: alice@pec.alfa.test\r\nTo: bob@pec.beta.test\r\nSubject: Piena durante DATA\r\n\r\nciao\r\n.',
      );
      assert.equal(reply.code, 452, reply.lines.join(' '));
      assert.match(reply.lines.join(' '), /^4\.2\.2 .*alice@pec\.alfa\.test is full/);
      assert.equal(await A.db.prisma.pecMessage.count({ where: { subject: 'Piena durante DATA' } }), 0);
    } finally {
      smtp.close();
      await A.db.prisma.mailbox.update({ where: { id: alice.id }, data: { usedBytes: alice.usedBytes } });
      await new Promise((r) => setTimeout(r, mailboxCacheMs));
    }
  });

  it('kill -9 of B during a burst: after restart every message has exactly one consegna', async () => {
    const count = Number(process.env.PEC_BURST ?? 200); // the burst size
    const transport = nodemailer.createTransport({
      pool: true,
      maxConnections: 10,
      host: '127.0.0.1',
      port: A.submissionTlsPort,
      secure: true,
      tls: { rejectUnauthorized: false },
      auth: { user: 'alice@pec.alfa.test', pass: password },
    });
    const consegne = () =>
      mailbox(A, 'alice@pec.alfa.test').filter(
        (m) => m.r.kind === 'avvenuta-consegna' && (m.r.subject ?? '').includes('Burst-'),
      );
    const sending = Promise.all(
      Array.from({ length: count }, (_, i) =>
        transport.sendMail({
          from: 'alice@pec.alfa.test',
          to: 'bob@pec.beta.test',
          subject: `Burst-${i}.`,
          text: `n. ${i}`,
        }),
      ),
    );
    await waitFor('the first consegne', () => consegne().length >= 3, 60_000);
    await B.haraka.kill();
    await sending;
    transport.close();
    await B.restart();
    const all = await waitFor(
      `${count} consegne`,
      () => (consegne().length >= count ? consegne() : undefined),
      240_000,
    );
    // Let any duplicate that would still be on its way arrive before counting.
    await new Promise((r) => setTimeout(r, 3000));
    const perSubject = new Map<string, number>();
    for (const m of consegne()) {
      const s = /Burst-\d+\./.exec(m.r.subject ?? '')![0];
      perSubject.set(s, (perSubject.get(s) ?? 0) + 1);
    }
    assert.equal(all.length >= count, true);
    assert.equal(perSubject.size, count);
    assert.deepEqual([...new Set(perSubject.values())], [1], 'exactly one consegna per message');
    const stored = mailbox(B, 'bob@pec.beta.test').filter((m) => (m.r.subject ?? '').includes('Burst-'));
    assert.equal(stored.length, count, 'exactly one busta per message in bob’s Maildir');
    const sentByB = await B.db.prisma.transmissionLog.count({
      where: { eventType: 'AVVENUTA_CONSEGNA_SENT', recipient: 'bob@pec.beta.test' },
    });
    const burstAtA = await A.db.prisma.pecRecipient.count({
      where: {
        recipient: 'bob@pec.beta.test',
        state: 'DELIVERED',
        message: { subject: { startsWith: 'Burst-' } },
      },
    });
    assert.equal(burstAtA, count, 'A’s state: every burst message delivered');
    assert.ok(
      sentByB >= count + 1 && sentByB <= count + 1,
      `B logged ${sentByB} consegne for bob (burst + the first test)`,
    );
  });

  it("the MTA's log lines reach stdout (written in batches), the last ones when it stops", async () => {
    // One summary line per message from the access point, at the default level.
    await waitFor('A’s submission summaries on stdout', () => /\[pec_submission\]/.test(A.haraka.output()), 5_000);
    // Logged by the SIGINT handler just before Haraka exits: only the exit-time flush writes it.
    await A.haraka.stop();
    // (its stdout may still be draining when the exit event comes)
    await waitFor('the exit-time lines', () => /SIGINT received/.test(A.haraka.output()), 5_000);
  });
});
