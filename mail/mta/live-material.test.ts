/**
 * Trust and signer propagate to a running MTA without a restart. The runtime of provider Beta runs
 * on a real database with its PKI files trusting only itself; Alfa's bustas are anomalie until Alfa
 * is added through the lib function the portal action calls, then (NOTIFY → reload) they are
 * accepted and Beta's presa in carico reaches Alfa's SMTP sink. A certificate rotation makes the
 * next presa in carico carry the new certificate; a broken new certificate keeps the old signer.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig } from '@/lib/config';
import { rotateSigningCertificate } from '@/lib/certificates/store';
import { startTestDatabase, type TestDatabase } from '@/lib/db/testing';
import { notifyConfigChanged } from '@/lib/db/config-changes';
import { saveManualProvider, setTrustedProviderDisabled } from '@/lib/ops/provider-index-store';
import {
  buildBustaTrasporto,
  createSigner,
  createTrustStore,
  inspectMessage,
  messageBytes,
  newPecMessageId,
  type BuildContext,
} from '@/mail/pec';
import { readCertificate } from '@/mail/pec/cms/certificate';
import { pemToDer, issueProviderCertificate } from '@/mail/pec/testing/test-pki';
import { createMtaRuntime, type MtaRuntime } from './provider-runtime';
import {
  createMailboxes,
  issueProviderPki,
  pkiEnv,
  writeProviderPkiFiles,
  type ProviderPki,
} from './testing/provider-fixture';
import { startSmtpSink, type SmtpSink } from './testing/smtp-sink';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pec-live-material-'));
let db: TestDatabase;
let sink: SmtpSink;
let runtime: MtaRuntime;
let alfa: ProviderPki;
let beta: ProviderPki;
let alfaCtx: () => BuildContext;
const logged: string[] = [];

before(async () => {
  [db, sink] = await Promise.all([startTestDatabase(), startSmtpSink({ startTls: false })]);
  alfa = issueProviderPki({ name: 'Alfa PEC S.p.A.', domain: 'pec.alfa.test' });
  beta = issueProviderPki({ name: 'Beta PEC S.r.l.', domain: 'pec.beta.test' });
  // Beta's files know Beta only
  const files = writeProviderPkiFiles(path.join(tmp, 'pki'), beta, [beta]);
  await createMailboxes(db.prisma, beta.spec.name, [{ address: 'bob@pec.beta.test', password: 'x' }]);
  const config = loadConfig({
    ...pkiEnv(files),
    DATABASE_URL: db.url,
    PEC_DATA_DIR: tmp,
    MAILDIR_ROOT: path.join(tmp, 'maildir'),
    MTA_SPOOL_DIR: path.join(tmp, 'spool'),
    PEC_MAIL_DOMAIN: beta.spec.domain,
    PEC_PROVIDER_NAME: beta.spec.name,
    MTA_STATIC_ROUTES: `pec.alfa.test=127.0.0.1:${sink.port}`,
  });
  runtime = await createMtaRuntime(config, db.prisma, {
    material: { databaseUrl: db.url, log: (level, line) => logged.push(`${level}: ${line}`) },
  });
  const alfaSigner = createSigner({
    keyPem: alfa.cert.keyPem,
    certPem: alfa.cert.certPem,
    chainPem: alfa.cert.chainPem,
  });
  alfaCtx = () => ({ provider: alfa.spec, signer: alfaSigner, now: new Date() });
});

after(async () => {
  await runtime?.close();
  await sink?.close();
  await db?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

async function busta(subject: string): Promise<Buffer> {
  const ctx = alfaCtx();
  const original = Buffer.from(
    [
      `From: alice@pec.alfa.test`,
      'To: bob@pec.beta.test',
      `Subject: ${subject}`,
      `Message-ID: <${subject.replace(/\W/g, '')}@alfa.test>`,
      '',
      'Testo.',
      '',
    ].join('\r\n'),
  );
  return messageBytes(
    await buildBustaTrasporto({
      ctx,
      original,
      sender: 'alice@pec.alfa.test',
      recipients: [{ address: 'bob@pec.beta.test', tipo: 'certificato', field: 'to' }],
      identificativo: newPecMessageId(ctx.now, { domain: 'pec.alfa.test' }),
    }),
  );
}

const receive = async (subject: string) =>
  runtime.reception.receive({ from: 'alice@pec.alfa.test', to: ['bob@pec.beta.test'] }, await busta(subject));

/** Waits for a condition the reloader makes true; returns how long it took. */
async function within(ms: number, what: string, ok: () => boolean): Promise<number> {
  const start = Date.now();
  while (!ok()) {
    if (Date.now() - start > ms) assert.fail(`${what}: not within ${ms} ms (log: ${logged.join(' | ')})`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now() - start;
}

/** The signer certificate of the presa in carico that reached Alfa's sink for `subject`. */
async function presaInCaricoSigner(subject: string): Promise<string> {
  let found: Buffer | undefined;
  const t0 = Date.now();
  await within(10_000, `presa in carico for ${subject}`, () => {
    found = sink.messages.map((m) => m.raw).find((raw) => raw.includes(`PRESA IN CARICO: ${subject}`));
    return found !== undefined;
  });
  console.log(`# presa in carico ${subject} reached the sink in ${Date.now() - t0} ms`);
  const report = inspectMessage(found!, {
    trust: createTrustStore({ certificates: [pemToDer(beta.ca.rootPem)] }),
  });
  assert.equal(report.kind, 'presa-in-carico');
  assert.equal(report.signature.intact, true);
  assert.equal(report.signature.trusted, true, report.signature.detail ?? '');
  return report.signature.signer!.sha1;
}

test('a provider added like the portal does is trusted by the running MTA within seconds; disabling it takes it back', async () => {
  const before = await receive('prima');
  assert.equal(before.verdict, 'anomalia', 'Alfa is not trusted yet');
  assert.equal(runtime.router.isCertified('pec.alfa.test'), false);

  const added = await saveManualProvider(db.prisma, {
    providerName: alfa.spec.name,
    mailReceipt: alfa.serviceAddress,
    domains: ['PEC.Alfa.test'],
    certificatesPem: alfa.cert.certPem,
  });
  const took = await within(
    5000,
    'Alfa in the live index',
    () => runtime.index.byDomain('pec.alfa.test') !== undefined,
  );
  console.log(`# provider added → trusted by the MTA in ${took} ms`);
  assert.equal(runtime.router.isCertified('pec.alfa.test'), true);
  const after = await receive('dopo');
  assert.equal(after.verdict, 'busta');
  assert.deepEqual(after.delivered, ['bob@pec.beta.test']);
  assert.ok(after.issued.includes('presa-in-carico'));
  assert.equal(await presaInCaricoSigner('dopo'), readCertificate(beta.cert.certDer).sha1);
  assert.equal(runtime.material.signerInfo.source, 'files');

  await setTrustedProviderDisabled(db.prisma, added.id, true);
  await within(
    5000,
    'Alfa gone from the live index',
    () => runtime.index.byDomain('pec.alfa.test') === undefined,
  );
  assert.equal((await receive('disattivato')).verdict, 'anomalia');
  await setTrustedProviderDisabled(db.prisma, added.id, false);
  await within(5000, 'Alfa back', () => runtime.index.byDomain('pec.alfa.test') !== undefined);
});

test('a rotation makes new receipts carry the new certificate; a broken certificate keeps the old signer', async () => {
  const filesSha1 = runtime.material.signerInfo.sha1;
  const next = issueProviderCertificate({
    email: beta.serviceAddress,
    providerName: beta.spec.name,
    ca: beta.ca,
  });
  const { activated } = await rotateSigningCertificate(
    db.prisma,
    { certPem: next.certPem, keyPem: next.keyPem, chainPem: next.chainPem },
    { serviceAddress: beta.serviceAddress },
  );
  assert.notEqual(activated.sha1, filesSha1);
  const took = await within(5000, 'new signer', () => runtime.material.signerInfo.sha1 === activated.sha1);
  console.log(`# certificate rotated → MTA signs with it in ${took} ms`);
  assert.equal(runtime.material.signerInfo.source, 'database');
  // our own new certificate is in the trusted index too (our own bustas verify after the switch)
  await within(
    5000,
    'own record',
    () => runtime.index.byCertificateHash(activated.sha1)?.providerName === beta.spec.name,
  );
  assert.equal((await receive('ruotato')).verdict, 'busta');
  assert.equal(await presaInCaricoSigner('ruotato'), activated.sha1);

  // a key that does not match: the reload fails, the MTA keeps signing with the good one
  const stranger = issueProviderCertificate({
    email: beta.serviceAddress,
    providerName: beta.spec.name,
    ca: beta.ca,
  });
  await db.prisma.$transaction(async (tx) => {
    await tx.providerCertificate.update({
      where: { id: activated.id },
      data: { privateKeyPem: stranger.keyPem },
    });
    await notifyConfigChanged(tx, 'certificate', activated.sha1);
  });
  await within(5000, 'reload error recorded', () => runtime.material.lastError.signer !== undefined);
  assert.match(runtime.material.lastError.signer!, /does not belong/);
  assert.ok(logged.some((l) => l.startsWith('error: signer reload failed, still signing with')));
  assert.equal(runtime.material.signerInfo.sha1, activated.sha1);
  assert.equal((await receive('chiave-sbagliata')).verdict, 'busta');
  assert.equal(await presaInCaricoSigner('chiave-sbagliata'), activated.sha1);

  // the periodic re-read (here called directly) picks up a change whose NOTIFY was never sent
  await db.prisma.providerCertificate.update({
    where: { id: activated.id },
    data: { privateKeyPem: next.keyPem },
  });
  await db.prisma.trustedProvider.updateMany({ data: { disabled: true } });
  await runtime.material.reload();
  assert.equal(runtime.material.lastError.signer, undefined);
  assert.equal(runtime.index.byDomain('pec.alfa.test'), undefined);
});

test('a company domain verified in the portal is served by the running MTA within seconds', async () => {
  const org = await db.prisma.organization.create({ data: { kind: 'COMPANY', name: 'Azienda S.r.l.' } });
  const domain = await db.prisma.domain.create({
    data: { name: 'pec.azienda.test', kind: 'COMPANY', organizationId: org.id },
  });
  await createMailboxes(db.prisma, beta.spec.name, [{ address: 'anna@pec.azienda.test', password: 'x' }]);
  assert.equal(runtime.reception.isLocal('anna@pec.azienda.test'), false, 'a pending domain is not ours yet');
  assert.equal(
    await runtime.reception.acceptsRecipient('anna@pec.azienda.test', 'someone@example.org'),
    false,
  );

  // what the portal's "Verify" does when the DNS records are right (lib/dns/domain-check.ts)
  await db.prisma.$transaction(async (tx) => {
    await tx.domain.update({
      where: { id: domain.id },
      data: { verificationState: 'VERIFIED', verifiedAt: new Date() },
    });
    await notifyConfigChanged(tx, 'domain', domain.id);
  });
  const took = await within(5000, 'the verified domain served', () =>
    runtime.reception.isLocal('anna@pec.azienda.test'),
  );
  console.log(`# verified domain served after ${took} ms`);
  assert.equal(
    await runtime.reception.acceptsRecipient('anna@pec.azienda.test', 'someone@example.org'),
    true,
  );
  assert.equal((await runtime.router.route('anna@pec.azienda.test')).source, 'own-domain');
  assert.equal(runtime.router.isCertified('pec.azienda.test'), true);
  assert.ok(
    runtime.index.byDomain('pec.azienda.test') === undefined ||
      runtime.index.byDomain('pec.azienda.test')?.providerName === beta.spec.name,
  );
});
