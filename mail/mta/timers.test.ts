/**
 * The 12 h / 24 h timers (spec §5.1) with durations of one and two seconds, on a real database:
 * which recipient gets which notice, exactly once even with two timer instances racing, and a late
 * consegna after the final notice changes nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestDatabase, type TestDatabase } from '@/lib/db/testing';
import { createSigner, inspectMessage, newPecMessageId, type BuildContext } from '@/mail/pec';
import { MessageStateStore } from './message-state';
import { issueProviderPki } from './testing/provider-fixture';
import { TimeoutTimers } from './timers';
import { MemoryTransmissionLog } from './transmission-log';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pec-timers-'));
let db: TestDatabase;
before(async () => {
  db = await startTestDatabase();
});
after(async () => {
  await db?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('timeout timers', () => {
  it('sends the preavviso and the final notice to the right recipients, once each', async () => {
    const alfa = issueProviderPki({ name: 'Alfa PEC S.p.A.', domain: 'pec.alfa.test' });
    const signer = createSigner({
      keyPem: alfa.cert.keyPem,
      certPem: alfa.cert.certPem,
      chainPem: alfa.cert.chainPem,
    });
    const context = (): BuildContext => ({ provider: alfa.spec, signer, now: new Date() });
    const store = new MessageStateStore(db.prisma, {
      preavvisoSeconds: 1,
      mancataConsegnaSeconds: 2,
      archiveDir: tmp,
    });
    const sent: { to: string[]; raw: Buffer }[] = [];
    const outbox = {
      enqueue: async (envelope: { from: string; to: string[] }, data: Buffer | readonly Buffer[]) => {
        sent.push({ to: envelope.to, raw: Buffer.isBuffer(data) ? data : Buffer.concat(data) });
      },
      enqueueAll: async () => {
        throw new Error('timers enqueue one notice at a time');
      },
      release: () => undefined,
      discard: async () => undefined,
    };
    const log = new MemoryTransmissionLog();
    // Two timer instances on one database, as after a restart overlap or with two MTA nodes.
    const timers = [1, 2].map(
      () => new TimeoutTimers({ state: store, context, outbox, log, intervalMs: 60_000 }),
    );

    const start = Date.now();
    const identificativo = newPecMessageId(new Date(start), { domain: 'pec.alfa.test' });
    await store.recordSubmission({
      identificativo,
      originalMessageId: '<t1@client.alfa.test>',
      sender: 'alice@pec.alfa.test',
      subject: 'Scadenze',
      receiptType: 'completa',
      sizeBytes: 100,
      recipients: [
        { address: 'bob@pec.beta.test', tipo: 'certificato', field: 'to' },
        { address: 'carol@pec.beta.test', tipo: 'certificato', field: 'cc' },
        { address: 'dave@example.test', tipo: 'esterno', field: 'to' },
      ],
      original: Buffer.from(
        'From: alice@pec.alfa.test\r\nTo: bob@pec.beta.test, dave@example.test\r\nCc: carol@pec.beta.test\r\nSubject: Scadenze\r\nMessage-ID: <t1@client.alfa.test>\r\n\r\nx\r\n',
      ),
      acceptedAt: new Date(start),
    });
    await store.markRelayed(identificativo, [
      'bob@pec.beta.test',
      'carol@pec.beta.test',
      'dave@example.test',
    ]);
    assert.equal(await store.applyReceipt('presa-in-carico', identificativo, ['carol@pec.beta.test']), 1);

    // The clock is passed in, so a slow machine cannot shift what is due.
    await Promise.all(timers.map((t) => t.tick(new Date(start + 500))));
    assert.equal(sent.length, 0, 'nothing before 12 h (here 1 s)');

    await Promise.all(timers.map((t) => t.tick(new Date(start + 1200))));
    assert.equal(
      sent.length,
      1,
      'one preavviso, for bob only (carol was taken in charge, dave is ordinary mail)',
    );
    const preavviso = inspectMessage(sent[0].raw);
    assert.equal(preavviso.kind, 'preavviso-errore-consegna');
    assert.equal(preavviso.daticert?.dati.consegna, 'bob@pec.beta.test');
    assert.deepEqual(sent[0].to, ['alice@pec.alfa.test']);
    const file = path.join(tmp, 'preavviso.eml');
    const ca = path.join(tmp, 'ca.pem');
    writeFileSync(file, sent[0].raw);
    writeFileSync(ca, alfa.ca.rootPem);
    assert.equal(
      spawnSync('openssl', ['smime', '-verify', '-CAfile', ca, '-in', file, '-out', '/dev/null'], {
        stdio: 'ignore',
      }).status,
      0,
    );

    assert.equal(await store.applyReceipt('avvenuta-consegna', identificativo, ['bob@pec.beta.test']), 1);
    // A fresh store on the same database: the deadlines live there, not in memory.
    const restarted = new MessageStateStore(db.prisma, {
      preavvisoSeconds: 1,
      mancataConsegnaSeconds: 2,
      archiveDir: tmp,
    });
    const after = [1, 2].map(
      () => new TimeoutTimers({ state: restarted, context, outbox, log, intervalMs: 60_000 }),
    );
    // The archived original lost (a disk replaced, a folder cleaned by hand): the claimed notice
    // still goes, naming the transaction.
    const archivedPath = (await db.prisma.pecMessage.findFirstOrThrow({ where: { identificativo } })).spoolPath;
    rmSync(archivedPath!);
    await Promise.all(after.map((t) => t.tick(new Date(start + 2200))));
    assert.equal(sent.length, 2, 'one final notice, for carol only');
    const final = inspectMessage(sent[1].raw);
    assert.equal(final.kind, 'preavviso-errore-consegna');
    assert.equal(final.daticert?.dati.consegna, 'carol@pec.beta.test');
    assert.equal(final.daticert?.dati.identificativo, identificativo);
    assert.match(final.subject ?? '', /^AVVISO DI MANCATA CONSEGNA PER SUP\. TEMPO MASSIMO/);

    await Promise.all(after.map((t) => t.tick(new Date(start + 3000))));
    assert.equal(sent.length, 2, 'nothing more');
    // A consegna arriving after the final notice does not reopen the transaction.
    assert.equal(await store.applyReceipt('avvenuta-consegna', identificativo, ['carol@pec.beta.test']), 0);
    const message = await db.prisma.pecMessage.findFirst({
      where: { identificativo },
      include: { recipients: true },
    });
    assert.equal(message?.state, 'COMPLETED');
    const states = Object.fromEntries(message!.recipients.map((r) => [r.recipient, r.state]));
    assert.deepEqual(states, {
      'bob@pec.beta.test': 'DELIVERED',
      'carol@pec.beta.test': 'FAILED',
      'dave@example.test': 'RELAYED',
    });
    assert.deepEqual(
      log.events.map((e) => e.type),
      ['PREAVVISO_SENT', 'TIMEOUT_SENT'],
    );
  });
});
