/**
 * Mailbox actions against a real database: every role × action on its own and on a foreign
 * tenant's mailbox, creation rules (tax-id checksums, availability, domain limit, inactive
 * domain), the suspend/reactivate state machine, password policy, CSV dry run and all-or-nothing
 * apply, and the NOTIFY a listening MTA receives when a suspension commits.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { executeAction } from '@/lib/audit/action';
import { onConfigChanged, type ConfigChange } from '@/lib/db/config-changes';
import { startTestDatabase, type TestDatabase } from '@/lib/db/testing';
import { planMailboxImport } from '@/lib/mailboxes/csv-import';
import { verifyPassword } from '@/lib/passwords';
import { loadActor, type Actor } from '@/lib/permissions';
import { createTenantFixture, type TenantFixture } from '@/lib/testing/tenants';
import {
  createMailboxSpec,
  importMailboxesSpec,
  reactivateMailboxSpec,
  resetMailboxPasswordSpec,
  suspendMailboxSpec,
  updateMailboxExpirySpec,
  updateMailboxQuotaSpec,
} from './specs';

let db: TestDatabase;
let f: TenantFixture;
const actors = {} as Record<keyof TenantFixture['users'], Actor>;
const ctx = { ip: '192.0.2.7', userAgent: 'test' };
const nextYear = new Date(Date.now() + 400 * 86_400_000).toISOString().slice(0, 10);

before(async () => {
  db = await startTestDatabase();
  f = await createTenantFixture(db.prisma);
  for (const key of Object.keys(f.users) as (keyof TenantFixture['users'])[]) actors[key] = (await loadActor(db.prisma, f.users[key].id))!;
});
after(() => db?.stop());

const person = { holderType: 'NATURAL_PERSON', holderName: 'Mario', holderSurname: 'Rossi', holderFiscalCode: 'RSSMRA85T10A562S' };
const createInput = (localPart: string, extra: Record<string, unknown> = {}) => ({
  organizationId: f.companyA,
  domainId: f.domainA,
  localPart,
  quotaMb: '2048',
  expiresOn: nextYear,
  ...person,
  ...extra,
});

test('create: holder identity checked (codice fiscale / partita IVA checksums), password shown once and hashed', async () => {
  const bad = await executeAction(createMailboxSpec, actors.companyA, createInput('mario', { holderFiscalCode: 'RSSMRA85T10A562T' }), ctx, db.prisma);
  assert.equal(bad.ok, false);
  assert.equal(!bad.ok && bad.fieldErrors?.holderFiscalCode, 'mailboxes.badFiscalCode');
  const badVat = await executeAction(
    createMailboxSpec,
    actors.companyA,
    createInput('ditta', { holderType: 'LEGAL_PERSON', holderName: 'Ditta Srl', holderSurname: '', holderFiscalCode: '', holderVatNumber: '12345678901' }),
    ctx,
    db.prisma,
  );
  assert.equal(!badVat.ok && badVat.fieldErrors?.holderVatNumber, 'mailboxes.badVatNumber');
  const noTax = await executeAction(createMailboxSpec, actors.companyA, createInput('x', { holderFiscalCode: '' }), ctx, db.prisma);
  assert.equal(!noTax.ok && noTax.fieldErrors?.holderFiscalCode, 'mailboxes.taxIdRequired');

  const ok = await executeAction(createMailboxSpec, actors.companyA, createInput('Mario.Rossi'), ctx, db.prisma);
  assert.ok(ok.ok);
  const { mailbox, password } = ok.data;
  assert.equal(mailbox.address, 'mario.rossi@pec.alfa.test');
  assert.equal(mailbox.quotaBytes, 2048n * 1024n * 1024n);
  assert.ok(mailbox.passwordHash.startsWith('{ARGON2ID}$argon2id$'));
  assert.ok(await verifyPassword(mailbox.passwordHash, password));
  const event = await db.prisma.auditEvent.findFirstOrThrow({ where: { entityId: mailbox.id, action: 'mailbox.create' } });
  assert.equal((event.after as { passwordHash: string }).passwordHash, '[secret]');
  assert.ok(!JSON.stringify(event.after).includes(password));

  const again = await executeAction(createMailboxSpec, actors.resellerA, createInput('mario.rossi'), ctx, db.prisma);
  assert.deepEqual(again.ok ? null : again.messageKey, 'mailboxes.addressTaken');
});

test('create: scope — a foreign organization or domain is not found; company domains hold only their company', async () => {
  const foreignOrg = await executeAction(createMailboxSpec, actors.resellerA, createInput('a1', { organizationId: f.companyB }), ctx, db.prisma);
  assert.equal(!foreignOrg.ok && foreignOrg.error, 'not_found');
  const foreignDomain = await executeAction(createMailboxSpec, actors.companyA, createInput('a2', { domainId: f.domainB }), ctx, db.prisma);
  assert.equal(!foreignDomain.ok && foreignDomain.error, 'not_found');
  for (const role of ['auditorA', 'holderA'] as const) {
    const r = await executeAction(createMailboxSpec, actors[role], createInput(`a-${role.toLowerCase()}`), ctx, db.prisma);
    assert.equal(!r.ok && r.error, 'not_found', role);
  }
  // reseller A owns its own organization too; company A's domain cannot carry reseller A's mailbox
  const otherOrg = await executeAction(createMailboxSpec, actors.resellerA, createInput('a3', { organizationId: f.resellerA }), ctx, db.prisma);
  assert.equal(!otherOrg.ok && otherOrg.messageKey, 'mailboxes.domainNotAllowed');
});

test('create: the domain limit is enforced and an unverified domain takes no mailbox', async () => {
  const limited = await db.prisma.domain.create({
    data: { name: 'limitata.alfa.test', kind: 'COMPANY', organizationId: f.companyA, verificationState: 'VERIFIED', mailboxLimit: 1 },
  });
  assert.ok((await executeAction(createMailboxSpec, actors.companyA, createInput('uno', { domainId: limited.id }), ctx, db.prisma)).ok);
  const second = await executeAction(createMailboxSpec, actors.companyA, createInput('due', { domainId: limited.id }), ctx, db.prisma);
  assert.equal(!second.ok && second.messageKey, 'mailboxes.limitReached');
  assert.equal(await db.prisma.mailbox.count({ where: { domainId: limited.id } }), 1);

  const pending = await db.prisma.domain.create({ data: { name: 'nuovo.alfa.test', kind: 'COMPANY', organizationId: f.companyA } });
  const r = await executeAction(createMailboxSpec, actors.companyA, createInput('tre', { domainId: pending.id }), ctx, db.prisma);
  assert.equal(!r.ok && r.messageKey, 'mailboxes.domainNotActive');
});

test('every role × suspend/reactivate/quota/expiry/password on own and foreign mailboxes', async () => {
  const actions = [
    { spec: suspendMailboxSpec, input: (id: string) => ({ id, reason: 'verifica' }) },
    { spec: updateMailboxQuotaSpec, input: (id: string) => ({ id, quotaMb: '4096' }) },
    { spec: updateMailboxExpirySpec, input: (id: string) => ({ id, expiresOn: nextYear }) },
    { spec: resetMailboxPasswordSpec(() => undefined), input: (id: string) => ({ id }) },
  ];
  // who may act on mailbox A: admins of its branch; the holder only on its own password
  const expectations: Record<keyof TenantFixture['users'], boolean[]> = {
    provider: [true, true, true, true],
    resellerA: [true, true, true, true],
    companyA: [true, true, true, true],
    auditorA: [false, false, false, false],
    holderA: [false, false, false, true],
    resellerB: [false, false, false, false],
    companyB: [false, false, false, false],
    holderB: [false, false, false, false],
  };
  for (const [role, allowed] of Object.entries(expectations) as [keyof TenantFixture['users'], boolean[]][]) {
    for (const [i, a] of actions.entries()) {
      await db.prisma.mailbox.update({ where: { id: f.mailboxA }, data: { status: 'ACTIVE' } });
      const r = await executeAction(a.spec as typeof suspendMailboxSpec, actors[role], a.input(f.mailboxA), ctx, db.prisma);
      assert.equal(r.ok, allowed[i], `${role} action ${i}: ${r.ok ? "ok" : r.messageKey}`);
      if (!allowed[i]) assert.equal(!r.ok && r.error, 'not_found');
    }
  }
});

test('state machine: only ACTIVE suspends, only SUSPENDED reactivates, an expired mailbox needs a new expiry first', async () => {
  const m = await executeAction(createMailboxSpec, actors.companyA, createInput('stati'), ctx, db.prisma);
  assert.ok(m.ok);
  const id = m.data.mailbox.id;
  assert.equal((await executeAction(reactivateMailboxSpec, actors.companyA, { id }, ctx, db.prisma)).ok, false);
  const s = await executeAction(suspendMailboxSpec, actors.companyA, { id, reason: 'mancato pagamento' }, ctx, db.prisma);
  assert.ok(s.ok && s.data.status === 'SUSPENDED' && s.data.statusReason === 'mancato pagamento');
  const twice = await executeAction(suspendMailboxSpec, actors.companyA, { id }, ctx, db.prisma);
  assert.equal(!twice.ok && twice.messageKey, 'mailboxes.notActive');
  await db.prisma.mailbox.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 86_400_000) } });
  const expired = await executeAction(reactivateMailboxSpec, actors.companyA, { id }, ctx, db.prisma);
  assert.equal(!expired.ok && expired.messageKey, 'mailboxes.expiredCannotReactivate');
  assert.ok((await executeAction(updateMailboxExpirySpec, actors.companyA, { id, expiresOn: nextYear }, ctx, db.prisma)).ok);
  const back = await executeAction(reactivateMailboxSpec, actors.companyA, { id }, ctx, db.prisma);
  assert.ok(back.ok && back.data.status === 'ACTIVE' && back.data.statusReason === null);
  const past = await executeAction(updateMailboxExpirySpec, actors.companyA, { id, expiresOn: '2020-01-01' }, ctx, db.prisma);
  assert.equal(!past.ok && past.fieldErrors?.expiresOn, 'mailboxes.expiryInPast');
  await db.prisma.mailbox.update({ where: { id }, data: { usedBytes: 500n * 1024n * 1024n } });
  const small = await executeAction(updateMailboxQuotaSpec, actors.companyA, { id, quotaMb: '200' }, ctx, db.prisma);
  assert.equal(!small.ok && small.messageKey, 'mailboxes.quotaBelowUsage');
});

test('password reset: policy (length, address, breached list from a file); generated one verifies', async () => {
  const list = path.join(db.dir, 'breached.txt');
  await writeFile(list, 'password123456\nCorrectHorseBatteryStaple\n');
  const spec = resetMailboxPasswordSpec(() => list);
  const short = await executeAction(spec, actors.companyA, { id: f.mailboxA, password: 'corta' }, ctx, db.prisma);
  assert.equal(!short.ok && short.messageKey, 'password.tooShort');
  const breached = await executeAction(spec, actors.companyA, { id: f.mailboxA, password: 'correcthorsebatterystaple' }, ctx, db.prisma);
  assert.equal(!breached.ok && breached.messageKey, 'mailboxes.passwordBreached');
  const chosen = await executeAction(spec, actors.holderA, { id: f.mailboxA, password: 'una-frase-lunga-e-mia' }, ctx, db.prisma);
  assert.ok(chosen.ok);
  const generated = await executeAction(spec, actors.companyA, { id: f.mailboxA }, ctx, db.prisma);
  assert.ok(generated.ok && generated.data.password.length >= 20);
  const stored = await db.prisma.mailbox.findUniqueOrThrow({ where: { id: f.mailboxA } });
  assert.ok(generated.ok && (await verifyPassword(stored.passwordHash, generated.data.password)));
  assert.equal(await verifyPassword(stored.passwordHash, 'una-frase-lunga-e-mia'), false);
});

const header = 'address;holder_type;name;surname;fiscal_code;vat_number;contact_email;quota_mb;expires_on';

test('CSV dry run reports each bad row (line, field, reason); apply is refused and writes nothing; fixed file applies', async () => {
  await db.prisma.domain.update({ where: { id: f.domainA }, data: { mailboxLimit: 20 } });
  const rows = [
    `anna.bianchi@pec.alfa.test;persona;Anna;Bianchi;BNCNNA80A41F205X;;anna@example.it;1024;${nextYear}`,
    `ufficio@pec.alfa.test;azienda;Alfa Srl;;;00488410010;;2048;${nextYear}`,
    `ufficio@pec.alfa.test;azienda;Alfa Srl;;;00488410010;;2048;${nextYear}`,
    `x@pec.beta.test;azienda;Beta;;;00488410010;;2048;${nextYear}`,
    `info@pec.alfa.test;azienda;Alfa;;;00488410010;;2048;${nextYear}`,
    `non valido;azienda;Alfa;;;00488410010;;2048;${nextYear}`,
    `luca@pec.alfa.test;persona;Luca;Verdi;VRDLCU80A01H501X;;;2048;2020-01-01`,
  ];
  const csv = [header, ...rows].join('\n');
  const plan = await db.prisma.$transaction((tx) => planMailboxImport(tx, actors.resellerA, f.companyA, csv));
  const seen = plan.errors.map((e) => `${e.line}:${e.field}:${e.message}`);
  const cf = (await import('@/lib/validation/italian-ids')).isValidCodiceFiscale('BNCNNA80A41F205X');
  const expected = [
    ...(cf ? [] : ['2:holderFiscalCode:mailboxes.badFiscalCode']),
    '4:address:mailboxImport.duplicateInFile',
    '5:address:mailboxImport.domainNotInScope',
    '6:address:mailboxes.addressTaken',
    '7:address:mailboxImport.badAddress',
    '8:holderFiscalCode:mailboxes.badFiscalCode',
    '8:expiresOn:mailboxes.expiryInPast',
  ];
  assert.deepEqual(seen, expected);

  const before = await db.prisma.mailbox.count();
  const refused = await executeAction(importMailboxesSpec, actors.resellerA, { organizationId: f.companyA, csv }, ctx, db.prisma);
  assert.equal(!refused.ok && refused.messageKey, 'mailboxImport.hasErrors');
  assert.equal(await db.prisma.mailbox.count(), before);
  assert.equal(await db.prisma.auditEvent.count({ where: { action: 'mailbox.import' } }), 0);

  const fixed = [header, rows[1], `luca@pec.alfa.test;persona;Luca;Verdi;RSSMRA85T10A562S;;;2048;${nextYear}`].join('\n');
  const applied = await executeAction(importMailboxesSpec, actors.resellerA, { organizationId: f.companyA, csv: fixed }, ctx, db.prisma);
  assert.ok(applied.ok, JSON.stringify(applied));
  assert.equal(applied.data.created, 2);
  const [head, ...lines] = applied.data.passwordsCsv.trim().split('\n');
  assert.equal(head, 'address,password');
  for (const line of lines) {
    const [address, password] = line.split(',');
    const m = await db.prisma.mailbox.findUniqueOrThrow({ where: { address } });
    assert.ok(await verifyPassword(m.passwordHash, password), address);
  }
  // a foreign organization is not found
  const foreign = await executeAction(importMailboxesSpec, actors.resellerA, { organizationId: f.companyB, csv: fixed }, ctx, db.prisma);
  assert.equal(!foreign.ok && foreign.error, 'not_found');
});

test('CSV: rows beyond the domain limit are errors', async () => {
  const d = await db.prisma.domain.create({
    data: { name: 'piccolo.alfa.test', kind: 'COMPANY', organizationId: f.companyA, verificationState: 'VERIFIED', mailboxLimit: 2 },
  });
  const csv = [header, ...['a', 'b', 'c'].map((l) => `${l}@${d.name};azienda;Alfa;;;00488410010;;2048;${nextYear}`)].join('\n');
  const plan = await db.prisma.$transaction((tx) => planMailboxImport(tx, actors.companyA, f.companyA, csv));
  assert.deepEqual(plan.errors.map((e) => `${e.line}:${e.message}`), ['4:mailboxes.limitReached']);
});

test('a listening MTA receives pec_config_changed mailbox:<id> after a suspension commits (and nothing on rollback)', async () => {
  const changes: ConfigChange[] = [];
  const sub = onConfigChanged((c) => changes.push(c), { url: db.url });
  try {
    await sub.ready;
    await db.prisma.mailbox.update({ where: { id: f.mailboxB }, data: { status: 'ACTIVE' } });
    const refused = await executeAction(suspendMailboxSpec, actors.resellerA, { id: f.mailboxB }, ctx, db.prisma);
    assert.equal(refused.ok, false);
    const r = await executeAction(suspendMailboxSpec, actors.resellerB, { id: f.mailboxB, reason: 'test' }, ctx, db.prisma);
    assert.ok(r.ok);
    const deadline = Date.now() + 5000;
    while (!changes.some((c) => c.id === f.mailboxB) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    assert.deepEqual(changes, [{ entity: 'mailbox', id: f.mailboxB }]);
  } finally {
    await sub.close();
  }
});
