/**
 * Browser test of the trusted-provider index (real production build, real database, headless
 * chromium): the provider admin sees the imported index with domains and fingerprints, adds a
 * provider by picking its certificate file (DER, converted in the browser), sees it listed and
 * trusted in the database, disables an index entry; uploads the next signing certificate and
 * activates it; a reseller admin opening the pages by URL gets a 404.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { importProviderIndex, trustedProviderIndex } from '@/lib/ops/provider-index-store';
import { loginThroughForm, startPortalForBrowserTests, type PortalHarness } from '@/lib/testing/browser';
import { createTenantFixture, fixturePassword, type TenantFixture } from '@/lib/testing/tenants';
import { formatProviderLdif } from '@/mail/pec';
import { readCertificate } from '@/mail/pec/cms/certificate';
import { createTestCa, issueProviderCertificate } from '@/mail/pec/testing/test-pki';
import { activeSigningMaterial, importSigningCertificate } from '@/lib/certificates';

let portal: PortalHarness;
let f: TenantFixture;
const delta = issueProviderCertificate({ email: 'posta-certificata@pec.delta.test', providerName: 'Delta PEC' });
const omega = issueProviderCertificate({ email: 'posta-certificata@pec.omega.test', providerName: 'Omega PEC' });

before(async () => {
  portal = await startPortalForBrowserTests();
  f = await createTenantFixture(portal.db.prisma);
  await importProviderIndex(
    portal.db.prisma,
    formatProviderLdif([{ providerName: 'Delta PEC', certificates: [delta.certDer], mailReceipt: delta.email, managedDomains: ['pec.delta.test', 'delta-pec.test'] }]),
  );
});
after(() => portal?.stop());

test('provider admin: list with domains and fingerprints, add a provider from a certificate file; a reseller gets 404', { timeout: 120_000 }, async () => {
  const page = await portal.newPage();
  await loginThroughForm(page, portal.url, f.users.provider.email, fixturePassword);
  await page.waitForURL(`${portal.url}/dashboard`);
  await page.goto(`${portal.url}/providers`);
  const table = page.getByTestId('providers-table');
  await table.waitFor();
  const deltaRow = table.locator('tr', { hasText: 'Delta PEC' });
  assert.match((await deltaRow.textContent()) ?? '', /pec\.delta\.test/);
  assert.match((await deltaRow.textContent()) ?? '', new RegExp(readCertificate(delta.certDer).sha1.slice(0, 16)));

  const form = page.getByTestId('add-provider');
  await form.locator('#f-providerName').fill('Omega PEC');
  await form.locator('#f-mailReceipt').fill(omega.email);
  await form.locator('#f-domains').fill('pec.omega.test\npec.delta.test');
  await form.locator('#f-certificatesPem-file').setInputFiles({ name: 'omega.cer', mimeType: 'application/pkix-cert', buffer: omega.certDer });
  // read and converted to PEM in the browser
  await page.waitForFunction(() => (document.querySelector('#f-certificatesPem') as HTMLTextAreaElement | null)?.value.startsWith('-----BEGIN CERTIFICATE-----'));
  await form.locator('button[type=submit]').click();
  // pec.delta.test belongs to Delta: refused beside the field, what was typed stays
  await form.locator('p.text-red-600', { hasText: /già gestito/ }).waitFor();
  await form.locator('#f-domains').fill('pec.omega.test');
  await form.locator('button[type=submit]').click();
  await table.locator('tr', { hasText: 'Omega PEC' }).waitFor();
  await portal.screenshot(page, 'providers-list');

  // an index entry: read-only, but it can be disabled
  await table.locator('a', { hasText: 'Delta PEC' }).click();
  await page.getByTestId('provider-certificates').waitFor();
  await page.locator('[data-testid=toggle-provider] button[type=submit]').click();
  await page.locator('[data-testid=provider-state]', { hasText: 'Disattivato' }).waitFor();

  const { index } = await trustedProviderIndex(portal.db.prisma);
  assert.equal(index.byDomain('pec.delta.test'), undefined);
  assert.equal(index.byDomain('pec.omega.test')?.certificateHashes[0], readCertificate(omega.certDer).sha1);
  assert.ok(await portal.db.prisma.auditEvent.findFirst({ where: { action: 'trusted_provider.create', actorEmail: f.users.provider.email } }));
  await page.context().close();
});

test('signing certificates: the active one with days to expiry; upload the next one, then activate it', { timeout: 120_000 }, async () => {
  const service = portal.db.config.provider.serviceAddress;
  const ca = createTestCa('Portale Test CA');
  const first = issueProviderCertificate({ email: service, providerName: 'Gestore Test', ca });
  const next = issueProviderCertificate({ email: service, providerName: 'Gestore Test', ca });
  await importSigningCertificate(portal.db.prisma, { certPem: first.certPem, keyPem: first.keyPem, chainPem: first.chainPem }, { serviceAddress: service });
  const page = await portal.newPage();
  await loginThroughForm(page, portal.url, f.users.provider.email, fixturePassword);
  await page.waitForURL(`${portal.url}/dashboard`);
  await page.goto(`${portal.url}/certificates`);
  const firstRow = page.getByTestId(`certificate-${readCertificate(first.certDer).sha1}`);
  assert.match((await firstRow.textContent()) ?? '', /Attivo/);
  assert.match((await firstRow.textContent()) ?? '', /\d+ giorni/);

  const form = page.getByTestId('upload-certificate');
  await form.locator('#f-certPem').fill(next.certPem);
  await form.locator('#f-keyPem').fill(next.keyPem);
  await form.locator('button[type=submit]').click();
  const nextSha1 = readCertificate(next.certDer).sha1;
  const nextRow = page.getByTestId(`certificate-${nextSha1}`);
  await nextRow.locator('text=Prossimo').waitFor();
  await page.locator(`[data-testid=activate-${nextSha1}] button[type=submit]`).click();
  await nextRow.locator('text=Attivo').waitFor();
  await firstRow.locator('text=Pubblicato').waitFor();
  await portal.screenshot(page, 'certificates-list');
  assert.equal((await activeSigningMaterial(portal.db.prisma))?.certPem.trim(), next.certPem.trim());
  await page.context().close();
});

test('a reseller admin opening the pages by URL gets 404', { timeout: 60_000 }, async () => {
  const reseller = await portal.newPage();
  await loginThroughForm(reseller, portal.url, f.users.resellerA.email, fixturePassword);
  await reseller.waitForURL(`${portal.url}/dashboard`);
  assert.equal((await reseller.goto(`${portal.url}/providers`))?.status(), 404);
  assert.equal((await reseller.goto(`${portal.url}/certificates`))?.status(), 404);
  assert.equal((await reseller.request.get(`${portal.url}/providers/export`)).status(), 404);
  await reseller.context().close();
});
