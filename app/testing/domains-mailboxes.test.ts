/**
 * Browser tests of domains and mailboxes (real production build, real database, headless chromium,
 * real DNS server on 127.0.0.1 given to the portal as PEC_DNS_SERVERS): add a domain and verify it
 * against published records; create a mailbox; CSV import with a bad row (dry run shows it, apply
 * is refused; fixed file applies and offers the passwords once); a reseller opening another
 * reseller's mailbox by URL gets a 404. Screenshots at laptop and phone widths.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { recordsToPublish } from '@/lib/dns/records';
import { startTestDnsServer, type TestDnsServer } from '@/lib/dns/testing';
import { loginThroughForm, startPortalForBrowserTests, type PortalHarness } from '@/lib/testing/browser';
import { createTenantFixture, fixturePassword, type TenantFixture } from '@/lib/testing/tenants';

const mxHostname = 'mx.gestore-prova.test';
let portal: PortalHarness;
let dns: TestDnsServer;
let f: TenantFixture;

before(async () => {
  dns = await startTestDnsServer();
  portal = await startPortalForBrowserTests({ env: { PEC_DNS_SERVERS: dns.address, PEC_MX_HOSTNAME: mxHostname } });
  f = await createTenantFixture(portal.db.prisma);
});
after(async () => {
  await portal?.stop();
  await dns?.stop();
});

const nextYear = new Date(Date.now() + 400 * 86_400_000).toISOString().slice(0, 10);

test('domain add → DNS records shown → Verifica fails without records, succeeds once published', { timeout: 180_000 }, async () => {
  const page = await portal.newPage();
  await loginThroughForm(page, portal.url, f.users.companyA.email, fixturePassword);
  await page.waitForURL(`${portal.url}/dashboard`);
  await page.goto(`${portal.url}/domains`);
  await page.locator('[data-testid=add-domain] #f-name').fill('pec.nuova-alfa.test');
  await page.locator('[data-testid=add-domain] button[type=submit]').click();
  const row = page.locator('[data-testid=domains-table] a', { hasText: 'pec.nuova-alfa.test' });
  await row.waitFor();
  await row.click();
  await page.getByTestId('dns-records').waitFor();
  assert.equal(((await page.getByTestId('record-mx').textContent()) ?? '').trim(), `10 ${mxHostname}`);
  const token = ((await page.getByTestId('record-verification').textContent()) ?? '').trim().replace('pec-verification=', '');
  const domain = await portal.db.prisma.domain.findUniqueOrThrow({ where: { name: 'pec.nuova-alfa.test' } });
  assert.equal(token, domain.verificationToken);

  await page.locator('[data-testid=verify-domain] button[type=submit]').click();
  await page.getByTestId('dns-problems').waitFor();
  assert.match((await page.getByTestId('domain-state').textContent()) ?? '', /Problemi DNS/);
  await portal.screenshot(page, 'domain-verify-failed');

  for (const r of recordsToPublish(domain.name, token, mxHostname)) {
    const entry = dns.zone.get(r.name) ?? {};
    if (r.type === 'MX') entry.mx = [{ exchange: r.value, priority: 10 }];
    else entry.txt = [...(entry.txt ?? []), r.value];
    dns.zone.set(r.name, entry);
  }
  await page.locator('[data-testid=verify-domain] button[type=submit]').click();
  await page.locator('[data-testid=domain-state]', { hasText: 'Attivo' }).waitFor();
  assert.equal((await portal.db.prisma.domain.findUniqueOrThrow({ where: { id: domain.id } })).verificationState, 'VERIFIED');
  assert.ok(dns.queries.some((q) => q.name === `_pec-verify.${domain.name}`));
  await portal.screenshot(page, 'domain-verified');
  await page.context().close();
});

test('create a mailbox: a bad codice fiscale is shown beside the field; a good one creates it and shows the password once', { timeout: 120_000 }, async () => {
  const page = await portal.newPage();
  await loginThroughForm(page, portal.url, f.users.resellerA.email, fixturePassword);
  await page.waitForURL(`${portal.url}/dashboard`);
  await page.goto(`${portal.url}/mailboxes`);
  const form = page.getByTestId('create-mailbox');
  await form.locator('#f-organizationId').selectOption(f.companyA);
  await form.locator('#f-localPart').fill('giulia.verdi');
  await form.locator('#f-domainId').selectOption(f.domainA);
  await form.locator('#f-holderName').fill('Giulia');
  await form.locator('#f-holderSurname').fill('Verdi');
  await form.locator('#f-holderFiscalCode').fill('RSSMRA85T10A562T');
  await form.locator('button[type=submit]').click();
  await page.locator('#f-holderFiscalCode-error').waitFor();
  assert.match((await page.locator('#f-holderFiscalCode-error').textContent()) ?? '', /carattere di controllo/);
  await portal.screenshot(page, 'mailbox-create-error');
  await form.locator('#f-holderFiscalCode').fill('RSSMRA85T10A562S');
  await form.locator('button[type=submit]').click();
  const status = form.locator('[role=status]');
  await status.waitFor();
  const text = (await status.textContent()) ?? '';
  assert.match(text, /giulia\.verdi@pec\.alfa\.test/);
  assert.match(text, /mostrata solo ora/);
  await page.goto(`${portal.url}/mailboxes?q=giulia`);
  assert.equal(await page.locator('[data-testid=mailboxes-table] tbody tr').count(), 1);
  await portal.screenshot(page, 'mailboxes-list');
  await page.context().close();
});

const header = 'indirizzo;tipo_titolare;nome;cognome;codice_fiscale;partita_iva;email_contatto;quota_mb;scadenza';

test('CSV import: dry run lists the bad row, apply is refused; fixed file applies and offers the passwords', { timeout: 120_000 }, async () => {
  const page = await portal.newPage();
  await loginThroughForm(page, portal.url, f.users.resellerA.email, fixturePassword);
  await page.waitForURL(`${portal.url}/dashboard`);
  await page.goto(`${portal.url}/mailboxes/import`);
  await page.locator('#f-organizationId').selectOption(f.companyA);
  const good = `protocollo@pec.alfa.test;azienda;Alfa Srl;;;00488410010;;2048;${nextYear}`;
  const bad = `paolo@pec.alfa.test;persona;Paolo;Neri;RSSMRA85T10A562X;;;2048;${nextYear}`;
  await page.locator('#f-csv').fill([header, good, bad].join('\n'));
  await page.getByTestId('dry-run').click();
  const errors = page.getByTestId('dry-run-errors');
  await errors.waitFor();
  const cells = await errors.locator('tbody tr').first().locator('td').allTextContents();
  assert.deepEqual(cells.slice(0, 2), ['3', 'fiscal_code']);
  assert.match(cells[2], /Codice fiscale non valido/);
  await portal.screenshot(page, 'mailbox-import-dry-run');

  await page.getByTestId('apply-import').click();
  await page.getByTestId('import-result').waitFor();
  assert.match((await page.getByTestId('import-result').textContent()) ?? '', /rifiutata/);
  assert.equal(await portal.db.prisma.mailbox.count({ where: { address: 'protocollo@pec.alfa.test' } }), 0);

  await page.locator('#f-csv').fill([header, good, bad.replace('562X', '562S')].join('\n'));
  await page.getByTestId('dry-run').click();
  await page.locator('[data-testid=dry-run-result]', { hasText: '2 caselle pronte' }).waitFor();
  await page.getByTestId('apply-import').click();
  await page.getByTestId('download-passwords').waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-passwords').click()]);
  const stream = await download.createReadStream();
  let csv = '';
  for await (const chunk of stream) csv += chunk;
  assert.match(csv, /^address,password\n/);
  assert.match(csv, /paolo@pec\.alfa\.test,[A-Za-z0-9_-]{20}/);
  assert.equal(await portal.db.prisma.mailbox.count({ where: { address: { in: ['protocollo@pec.alfa.test', 'paolo@pec.alfa.test'] } } }), 2);
  await portal.screenshot(page, 'mailbox-import-applied');

  const exported = await page.request.get(`${portal.url}/mailboxes/export?q=paolo`);
  assert.equal(exported.status(), 200);
  const body = await exported.text();
  assert.match(body.split('\n')[0], /^address,holder_type,name/);
  assert.equal(body.trim().split('\n').length, 2);
  await page.context().close();
});

test('a reseller opening another reseller’s mailbox by URL gets a 404; phone width renders the list', { timeout: 120_000 }, async () => {
  const page = await portal.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
  await loginThroughForm(page, portal.url, f.users.resellerA.email, fixturePassword);
  await page.waitForURL(`${portal.url}/dashboard`);
  const own = await page.goto(`${portal.url}/mailboxes/${f.mailboxA}`);
  assert.equal(own?.status(), 200);
  await portal.screenshot(page, 'mailbox-detail-phone');
  const foreign = await page.goto(`${portal.url}/mailboxes/${f.mailboxB}`);
  assert.equal(foreign?.status(), 404);
  await page.getByTestId('not-found').waitFor();
  const foreignDomain = await page.goto(`${portal.url}/domains/${f.domainB}`);
  assert.equal(foreignDomain?.status(), 404);
  await page.goto(`${portal.url}/mailboxes`);
  await portal.screenshot(page, 'mailboxes-list-phone');
  await page.context().close();
});
