/**
 * Browser tests of activation requests (real build, real database, headless chromium): a reseller
 * files an activation for its customer with inline validation and the live availability check,
 * downloads the filled PDF, the provider admin approves and sees the one-time password (which opens
 * the new mailbox at our real access point: SMTP AUTH over TLS against Haraka with the PEC plugins
 * on the same database); another request is rejected with a reason. Screenshots at laptop and phone widths.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { executeAction } from '@/lib/audit/action';
import { verifyPassword } from '@/lib/passwords';
import { loadActor } from '@/lib/permissions';
import { createActivationSpec } from '@/lib/requests/specs';
import { loginThroughForm, startPortalForBrowserTests, type PortalHarness } from '@/lib/testing/browser';
import { createTenantFixture, fixturePassword, type TenantFixture } from '@/lib/testing/tenants';
import { ensureDebianPackages } from '@/scripts/lib/system-packages';
import { startAccessPoint } from './access-point';

let portal: PortalHarness;
let f: TenantFixture;
let sharedDomain: string;
let requestId: string;

before(async () => {
  ensureDebianPackages({ pdftotext: 'poppler-utils' });
  portal = await startPortalForBrowserTests();
  f = await createTenantFixture(portal.db.prisma);
  sharedDomain = (
    await portal.db.prisma.domain.create({ data: { name: 'pec.gestore.test', kind: 'PROVIDER_SHARED', organizationId: f.providerId, verificationState: 'VERIFIED' } })
  ).id;
});
after(() => portal?.stop());

test('reseller files an activation: inline errors, live availability, PDF download', { timeout: 180_000 }, async () => {
  const page = await portal.newPage();
  await loginThroughForm(page, portal.url, f.users.resellerA.email, fixturePassword);
  await page.waitForURL(`${portal.url}/dashboard`);
  await page.goto(`${portal.url}/requests/new`);
  await page.locator('#f-holderName').fill('Alfa S.r.l.');
  await page.locator('#f-vatNumber').fill('12345678904');
  await page.locator('#f-vatNumber').blur();
  await page.getByTestId('error-vatNumber').waitFor();
  assert.match((await page.getByTestId('error-vatNumber').textContent()) ?? '', /Partita IVA non valida/);
  await page.locator('#f-vatNumber').fill('12345678903');
  await page.getByTestId('error-vatNumber').waitFor({ state: 'detached' });

  // an address already in use, then a free one
  await page.locator('#f-domainId').selectOption({ label: 'pec.alfa.test' });
  await page.locator('#f-localPart').fill('info');
  await page.getByTestId('availability').filter({ hasText: 'non è disponibile' }).waitFor();
  await page.locator('#f-domainId').selectOption({ label: 'pec.gestore.test' });
  await page.locator('#f-localPart').fill('amministrazione.alfa');
  await page.getByTestId('availability').filter({ hasText: 'amministrazione.alfa@pec.gestore.test è disponibile' }).waitFor();

  await page.locator('#f-legalRepName').fill('Mario Rossi');
  await page.locator('#f-legalRepFiscalCode').fill('RSSMRA85T10A562S');
  await page.locator('#f-contactEmail').fill('amministrazione@alfa.example');
  await page.locator('#f-phone').fill('+39 02 1234567');
  await page.locator('#f-address').fill('Via della Libertà 1, Milano');
  await page.locator('#f-plan').selectOption('business');
  await page.locator('#f-durationYears').selectOption('2');

  // submitting without the consent is refused with the field marked
  await page.getByRole('button', { name: 'Invia la richiesta' }).click();
  await page.getByTestId('error-acceptTerms').waitFor();
  await portal.screenshot(page, 'requests-new-errors');
  await page.locator('input[name=acceptTerms]').check();
  await page.getByRole('button', { name: 'Invia la richiesta' }).click();
  await page.waitForURL(/\/requests\/[0-9a-f-]{36}\?created=1$/);
  requestId = /requests\/([0-9a-f-]{36})/.exec(page.url())![1];
  assert.equal(await page.getByTestId('request-address').textContent(), 'amministrazione.alfa@pec.gestore.test');
  await portal.screenshot(page, 'requests-detail-reseller');

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-pdf').click()]);
  const file = path.join(portal.db.dir, 'modulo.pdf');
  await download.saveAs(file);
  const text = execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
  for (const expected of ['Modulo di attivazione casella PEC', 'amministrazione.alfa@pec.gestore.test', 'Alfa S.r.l.', '12345678903', 'Via della Libertà 1, Milano', '2 anni', 'Firma del richiedente']) {
    assert.ok(text.includes(expected), `PDF lacks ${expected}`);
  }
  // the reseller (without the approval right) has no decision card
  assert.equal(await page.getByTestId('approve-request').count(), 0);

  const phone = await portal.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
  await loginThroughForm(phone, portal.url, f.users.resellerA.email, fixturePassword);
  await phone.waitForURL(`${portal.url}/dashboard`);
  await phone.goto(`${portal.url}/requests/new`);
  await portal.screenshot(phone, 'requests-new-phone');
  await phone.goto(`${portal.url}/requests`);
  await portal.screenshot(phone, 'requests-list-phone');
  await phone.context().close();
  await page.context().close();
});

test('provider admin approves: the mailbox exists and the one-time password opens it', { timeout: 120_000 }, async () => {
  assert.ok(requestId, 'the filing test ran');
  const page = await portal.newPage();
  await loginThroughForm(page, portal.url, f.users.provider.email, fixturePassword);
  await page.waitForURL(`${portal.url}/dashboard`);
  await page.goto(`${portal.url}/requests`);
  await page.getByRole('link', { name: 'amministrazione.alfa@pec.gestore.test' }).click();
  await page.waitForURL(`${portal.url}/requests/${requestId}`);
  await page.locator('[data-testid=approve-request] button[type=submit]').click();
  const callout = page.locator('[data-testid=approve-request] [role=status]');
  await callout.waitFor();
  const message = (await callout.textContent()) ?? '';
  await portal.screenshot(page, 'requests-approved-password');
  // the decision buttons go once decided
  assert.equal(await page.locator('[data-testid=reject-request]').isVisible(), false);
  assert.equal(await page.locator('[data-approved-only]').isVisible(), true);
  assert.equal(await page.locator('[data-testid=cancel-request]').isVisible(), false);
  const password = /: (\S+)$/.exec(message.trim())?.[1];
  assert.ok(password, message);
  const mailbox = await portal.db.prisma.mailbox.findUniqueOrThrow({ where: { address: 'amministrazione.alfa@pec.gestore.test' } });
  assert.equal(mailbox.status, 'ACTIVE');
  assert.ok(await verifyPassword(mailbox.passwordHash, password));
  // the mail program's view: the shown password authenticates over SMTP submission, a wrong one is refused
  const mta = await startAccessPoint(portal.db);
  try {
    assert.equal(await mta.login('amministrazione.alfa@pec.gestore.test', password), 'accepted');
    assert.equal(await mta.login('amministrazione.alfa@pec.gestore.test', `${password}-wrong`), 535);
  } finally {
    await mta.stop();
  }
  // shown once: reloading shows the decision, never the password
  await page.reload();
  await page.getByTestId('decision').waitFor();
  assert.ok(!((await page.content()).includes(password)));
  await page.context().close();
});

test('provider admin rejects a request with a reason', { timeout: 120_000 }, async () => {
  const actor = (await loadActor(portal.db.prisma, f.users.companyA.id))!;
  const filed = await executeAction(
    createActivationSpec,
    actor,
    {
      holderKind: 'INDIVIDUAL', holderName: 'Mario Rossi', fiscalCode: 'RSSMRA85T10A562S', contactEmail: 'mario@example.it', phone: '3331234567',
      localPart: 'mario.rossi', domainId: sharedDomain, plan: 'base', durationYears: '1', renewalMode: 'MANUAL', acceptTerms: 'on', organizationId: f.companyA,
    },
    {},
    portal.db.prisma,
  );
  assert.ok(filed.ok);
  const page = await portal.newPage();
  await loginThroughForm(page, portal.url, f.users.provider.email, fixturePassword);
  await page.waitForURL(`${portal.url}/dashboard`);
  await page.goto(`${portal.url}/requests/${filed.data.id}`);
  await page.locator('[data-testid=reject-request] #f-reason').fill('Documento di identità illeggibile');
  await page.locator('[data-testid=reject-request] button[type=submit]').click();
  for (let i = 0; i < 50; i++) {
    const row = await portal.db.prisma.mailboxRequest.findUniqueOrThrow({ where: { id: filed.data.id } });
    if (row.status === 'REJECTED') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await page.reload();
  const decision = page.getByTestId('decision');
  await decision.waitFor();
  assert.match((await decision.textContent()) ?? '', /Documento di identità illeggibile/);
  await portal.screenshot(page, 'requests-rejected');
  await page.context().close();
});

test('public form without login: request filed, PDF by token link, signed scan uploaded (magic bytes checked)', { timeout: 120_000 }, async () => {
  const page = await portal.newPage();
  await page.goto(`${portal.url}/attivazione`);
  await page.locator('#f-holderKind').selectOption('INDIVIDUAL');
  await page.locator('#f-holderName').fill('Niccolò Bianchi');
  await page.locator('#f-fiscalCode').fill('MRTMTT91D08F205J');
  await page.locator('#f-contactEmail').fill('niccolo@example.it');
  await page.locator('#f-phone').fill('3331234567');
  await page.locator('#f-localPart').fill('niccolo.bianchi');
  await page.getByTestId('availability').filter({ hasText: 'è disponibile' }).waitFor();
  assert.equal(await page.locator('#f-legalRepName').count(), 0, 'no legal representative for a person');
  await page.locator('input[name=acceptTerms]').check();
  await page.getByRole('button', { name: 'Invia la richiesta' }).click();
  await page.waitForURL(/\/attivazione\/[0-9a-f-]{36}\?t=/);
  await portal.screenshot(page, 'requests-public-sent');
  const link = new URL(page.url());

  const pdf = await fetch(`${portal.url}${link.pathname}/modulo${link.search}`);
  assert.equal(pdf.status, 200);
  assert.equal(pdf.headers.get('content-type'), 'application/pdf');
  assert.equal((await fetch(`${portal.url}${link.pathname}/modulo?t=wrong`)).status, 404);

  // a file that is not PDF/JPEG/PNG is refused, a PDF is kept
  await page.locator('#scan').setInputFiles({ name: 'modulo.pdf', mimeType: 'application/pdf', buffer: Buffer.from('<html>not a pdf</html>') });
  await page.getByRole('button', { name: 'Carica il modulo firmato' }).click();
  await page.getByText('Sono accettati solo PDF, JPEG o PNG').waitFor();
  await page.locator('#scan').setInputFiles({ name: 'modulo firmato.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\nfirmato\n%%EOF\n') });
  await page.getByRole('button', { name: 'Carica il modulo firmato' }).click();
  await page.getByText('Modulo firmato: modulo firmato.pdf').waitFor();
  const id = link.pathname.split('/')[2];
  const row = await portal.db.prisma.mailboxRequest.findUniqueOrThrow({ where: { id } });
  assert.equal(row.requesterOrganizationId, f.providerId);
  assert.match(row.signedScanSha256 ?? '', /^[0-9a-f]{64}$/);
  // a cross-site post is refused
  const forged = await fetch(`${portal.url}${link.pathname}/scan${link.search}`, { method: 'POST', headers: { origin: 'http://evil.example' }, body: new FormData() });
  assert.equal(forged.status, 403);
  await page.context().close();
});

test('renewal: company admin files the modulo di rinnovo, provider approves, the expiry moves one year on', { timeout: 120_000 }, async () => {
  const before = await portal.db.prisma.mailbox.findUniqueOrThrow({ where: { id: f.mailboxA } });
  const page = await portal.newPage();
  await loginThroughForm(page, portal.url, f.users.companyA.email, fixturePassword);
  await page.waitForURL(`${portal.url}/dashboard`);
  await page.goto(`${portal.url}/requests/renew?q=info`);
  await page.locator('[data-testid=renewal-form] #f-mailboxId').selectOption(f.mailboxA);
  await page.locator('[data-testid=renewal-form] #f-contactEmail').fill('rinnovi@alfa.example');
  await page.locator('[data-testid=renewal-form] input[name=acceptTerms]').check();
  await page.getByRole('button', { name: 'Invia la richiesta' }).click();
  await page.waitForURL(/\/requests\/[0-9a-f-]{36}\?created=1$/);
  const id = /requests\/([0-9a-f-]{36})/.exec(page.url())![1];
  const pdf = await page.request.get(`${portal.url}/requests/${id}/modulo`);
  assert.equal(pdf.status(), 200);
  const file = path.join(portal.db.dir, 'rinnovo.pdf');
  writeFileSync(file, await pdf.body());
  assert.match(execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' }), /Modulo di rinnovo casella PEC[\s\S]*info@pec\.alfa\.test/);
  await page.context().close();

  const admin = await portal.newPage();
  await loginThroughForm(admin, portal.url, f.users.provider.email, fixturePassword);
  await admin.waitForURL(`${portal.url}/dashboard`);
  await admin.goto(`${portal.url}/requests/${id}`);
  await admin.locator('[data-testid=approve-request] button[type=submit]').click();
  await admin.locator('[data-testid=approve-request] [role=status]').filter({ hasText: 'Rinnovo approvato' }).waitFor();
  const after = await portal.db.prisma.mailbox.findUniqueOrThrow({ where: { id: f.mailboxA } });
  const expected = new Date(before.expiresAt);
  expected.setUTCFullYear(expected.getUTCFullYear() + 1);
  assert.equal(after.expiresAt.toISOString(), expected.toISOString());
  await admin.context().close();
});
