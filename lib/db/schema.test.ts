import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Prisma } from '../../prisma/generated/client';
import { hashPassword } from '../passwords';
import { startTestDatabase, type TestDatabase } from './testing';

// The migrated database serves every part of the product through the generated client.
let db: TestDatabase;
before(async () => {
  db = await startTestDatabase({ seed: true });
});
after(async () => {
  await db?.stop();
});

function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}

test('organization tree, domains, mailboxes with holders, and requests', async () => {
  const p = db.prisma;
  const provider = await p.organization.findFirstOrThrow({
    where: { kind: 'PROVIDER' },
    include: { domains: true },
  });
  const reseller = await p.organization.create({
    data: { kind: 'RESELLER', name: 'Rivenditore Srl', parentId: provider.id, mayApproveActivations: true },
  });
  const company = await p.organization.create({
    data: {
      kind: 'COMPANY',
      name: 'Rossi Costruzioni SpA',
      parentId: reseller.id,
      vatNumber: '01234567890',
      requireTotpForAdmins: true,
    },
  });
  const tree = await p.organization.findUniqueOrThrow({
    where: { id: provider.id },
    include: { children: { include: { children: true } } },
  });
  assert.deepEqual(
    tree.children.map((r) => [r.name, r.children.map((c) => c.name)]),
    [['Rivenditore Srl', ['Rossi Costruzioni SpA']]],
  );

  const own = await p.domain.create({
    data: {
      name: 'pec.rossicostruzioni.it',
      kind: 'COMPANY',
      organizationId: company.id,
      verificationToken: 'tok',
      mailboxLimit: 10,
      dnsProblems: [{ code: 'MX_MISSING', message: 'no MX' }],
    },
  });
  assert.equal(own.verificationState, 'PENDING');
  const shared = provider.domains[0];
  const mailbox = await p.mailbox.create({
    data: {
      address: `mario.rossi@${shared.name}`,
      localPart: 'mario.rossi',
      domainId: shared.id,
      organizationId: company.id,
      holderType: 'NATURAL_PERSON',
      holderName: 'Mario',
      holderSurname: 'Rossi',
      holderFiscalCode: 'RSSMRA80A01H501U',
      quotaBytes: 2n * 1024n ** 3n,
      expiresAt: new Date(Date.UTC(2027, 10, 24)),
      passwordHash: await hashPassword('casella'),
      ordinaryMailPolicy: 'REFUSE',
    },
  });
  assert.equal(mailbox.status, 'ACTIVE');
  assert.equal(mailbox.usedBytes, 0n);
  await assert.rejects(
    p.mailbox.create({ data: { ...mailbox, id: undefined, createdAt: undefined, updatedAt: undefined } }),
    isUniqueViolation,
    'an address exists once',
  );
  const holder = await p.user.create({
    data: {
      email: 'mario.rossi@example.com',
      role: 'MAILBOX_HOLDER',
      organizationId: company.id,
      mailboxId: mailbox.id,
      passwordHash: mailbox.passwordHash,
    },
  });
  assert.equal(
    (await p.mailbox.findUniqueOrThrow({ where: { id: mailbox.id }, include: { holderUser: true } }))
      .holderUser?.id,
    holder.id,
  );

  const request = await p.mailboxRequest.create({
    data: {
      kind: 'ACTIVATION',
      status: 'SUBMITTED',
      requestedAddress: `info@${own.name}`,
      domainId: own.id,
      plan: 'base-2GB',
      durationYears: 3,
      requesterOrganizationId: company.id,
      formData: { holderName: 'Rossi Costruzioni SpA' },
    },
  });
  const decided = await p.mailboxRequest.update({
    where: { id: request.id },
    data: { status: 'REJECTED', decisionReason: 'modulo non firmato', decidedAt: new Date() },
  });
  assert.equal(decided.status, 'REJECTED');
});

test('provider index: lookups by certificate SHA-1 and by domain', async () => {
  const p = db.prisma;
  const der = Buffer.from('not really DER, but bytes');
  const sha1 = createHash('sha1').update(der).digest('hex');
  await p.trustedProvider.create({
    data: {
      providerName: 'Altro Gestore SpA',
      mailReceipt: 'posta-certificata@pec.altro.it',
      source: 'LDIF',
      sourceDn: 'providerName=Altro Gestore SpA,o=postacert',
      domains: { create: [{ domain: 'pec.altro.it' }, { domain: 'legalmail.altro.it' }] },
      certificates: { create: [{ sha1, der }] },
    },
  });
  const bySha = await p.trustedProviderCertificate.findMany({ where: { sha1 }, include: { provider: true } });
  assert.deepEqual(
    bySha.map((c) => c.provider.providerName),
    ['Altro Gestore SpA'],
  );
  assert.deepEqual(Buffer.from(bySha[0].der), der);
  const byDomain = await p.trustedProviderDomain.findMany({
    where: { domain: 'legalmail.altro.it' },
    include: { provider: true },
  });
  assert.equal(byDomain[0].provider.mailReceipt, 'posta-certificata@pec.altro.it');
});

test('PEC messages: one state row per recipient, identificativo unique per direction', async () => {
  const p = db.prisma;
  const identificativo = 'opec21.20261124103000.12345.01.1.1@pec.localhost.test';
  const message = await p.pecMessage.create({
    data: {
      identificativo,
      originalMessageId: '<abc@client>',
      direction: 'OUTBOUND',
      kind: 'POSTA_CERTIFICATA',
      state: 'ACCEPTED',
      sender: 'mario.rossi@pec.localhost.test',
      subject: 'Fattura',
      receiptType: 'BREVE',
      sizeBytes: 12345n,
      recipients: {
        create: [
          {
            recipient: 'ufficio@pec.altro.it',
            certified: true,
            counterpartProvider: 'Altro Gestore SpA',
            preavvisoDueAt: new Date(Date.now() + 12 * 3600e3),
            mancataConsegnaDueAt: new Date(Date.now() + 24 * 3600e3),
          },
          { recipient: 'amico@gmail.com', certified: false, isCc: true },
        ],
      },
    },
    include: { recipients: true },
  });
  assert.deepEqual(
    message.recipients.map((r) => r.state),
    ['ACCEPTED', 'ACCEPTED'],
  );
  await assert.rejects(
    p.pecRecipient.create({
      data: { messageId: message.id, recipient: 'ufficio@pec.altro.it', certified: true },
    }),
    isUniqueViolation,
  );
  await assert.rejects(
    p.pecMessage.create({
      data: {
        identificativo,
        direction: 'OUTBOUND',
        kind: 'POSTA_CERTIFICATA',
        sender: 'x@y.it',
        sizeBytes: 1n,
      },
    }),
    isUniqueViolation,
  );
  // the same busta arriving at our own reception point is a separate, inbound record
  await p.pecMessage.create({
    data: {
      identificativo,
      direction: 'INBOUND',
      kind: 'POSTA_CERTIFICATA',
      sender: 'mario.rossi@pec.localhost.test',
      sizeBytes: 12345n,
    },
  });

  // the 12 h timer query the MTA runs
  const due = await p.pecRecipient.findMany({
    where: {
      state: { in: ['RELAYED', 'ACCEPTED'] },
      certified: true,
      preavvisoSentAt: null,
      preavvisoDueAt: { lte: new Date(Date.now() + 13 * 3600e3) },
    },
  });
  assert.deepEqual(
    due.map((r) => r.recipient),
    ['ufficio@pec.altro.it'],
  );
});

test('certificates, audit trail, transmission log and settings accept their data', async () => {
  const p = db.prisma;
  await p.providerCertificate.create({
    data: {
      certificatePem: '-----BEGIN CERTIFICATE-----\n...',
      sha1: 'a'.repeat(40),
      subject: 'CN=Demo',
      issuer: 'CN=CA',
      serialNumber: '01',
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 365 * 86400e3),
      active: true,
      activatedAt: new Date(),
    },
  });
  const audit = await p.auditEvent.create({
    data: {
      actorEmail: 'admin@pec.localhost.test',
      actorRole: 'PROVIDER_ADMIN',
      ip: '127.0.0.1',
      action: 'mailbox.suspend',
      entityType: 'Mailbox',
      entityId: 'x',
      before: { status: 'ACTIVE' },
      after: { status: 'SUSPENDED' },
    },
  });
  assert.equal(typeof audit.id, 'bigint');
  const entry = await p.transmissionLog.create({
    data: {
      eventType: 'ACCETTAZIONE',
      identificativo: 'opec@x',
      sender: 'a@x.it',
      recipient: 'b@y.it',
      outcome: 'OK',
      details: { size: 10 },
    },
  });
  assert.ok(entry.occurredAt instanceof Date);
  await p.systemSetting.upsert({
    where: { key: 'maintenance' },
    create: { key: 'maintenance', value: { enabled: false } },
    update: {},
  });
  assert.deepEqual((await p.systemSetting.findUniqueOrThrow({ where: { key: 'maintenance' } })).value, {
    enabled: false,
  });
});

test('the log index reference of a message is inlined into the queries that compute it', async () => {
  const refs = await db.prisma.$queryRaw<{ a: string | null; b: string | null; c: string | null }[]>`
    SELECT log_index.message_ref('<m1@client.example>') AS a, log_index.message_ref('opec.1@pec.example') AS b,
           log_index.message_ref(NULL) AS c`;
  assert.deepEqual(refs[0], { a: 'm1@client.example', b: 'opec.1@pec.example', c: null });
  // Not inlined, the log trigger's two calls were parsed and planned again on every INSERT.
  const plan = await db.prisma.$queryRawUnsafe<{ 'QUERY PLAN': string }[]>(
    'EXPLAIN (VERBOSE) SELECT log_index.message_ref(original_message_id) FROM transmission_log',
  );
  const text = plan.map((r) => r['QUERY PLAN']).join('\n');
  assert.match(text, /CASE WHEN \(.*original_message_id ~~ '<%>'::text\)/);
  assert.doesNotMatch(text, /message_ref\(/);
});
