/**
 * Browser tests of the mailbox holder (real build, real database, headless chromium, and our real
 * Haraka access point on the same database): the holder signs in, sees its mailbox and its own
 * transmission history (never another mailbox's), changes the mailbox password, signs in again with
 * the new one, and its mail program authenticates over SMTP with the new password only. Every other
 * object, by URL, is a 404 for a holder; the holder pages are a 404 for an admin.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loginThroughForm, startPortalForBrowserTests, type PortalHarness } from '@/lib/testing/browser';
import { createTenantFixture, fixturePassword, type TenantFixture } from '@/lib/testing/tenants';
import { startAccessPoint, type AccessPoint } from './access-point';

let portal: PortalHarness;
let mta: AccessPoint;
let f: TenantFixture;
const own = 'info@pec.alfa.test';
const newPassword = 'Casella-Alfa-Nuova-2026';

before(async () => {
  portal = await startPortalForBrowserTests();
  f = await createTenantFixture(portal.db.prisma);
  const at = (minutes: number) => new Date(Date.now() - minutes * 60_000);
  await portal.db.prisma.transmissionLog.createMany({
    data: [
      { occurredAt: at(30), eventType: 'ACCETTAZIONE', identificativo: 'inviato-1@pec.gestore.test', sender: own, recipient: 'protocollo@pec.comune.it', outcome: 'OK' },
      { occurredAt: at(29), eventType: 'AVVENUTA_CONSEGNA', identificativo: 'inviato-1@pec.gestore.test', sender: own, recipient: 'protocollo@pec.comune.it', outcome: 'OK' },
      { occurredAt: at(20), eventType: 'PRESA_IN_CARICO', identificativo: 'ricevuto-1@pec.altro.it', sender: 'ditta@pec.altro.it', recipient: own, outcome: 'OK' },
      { occurredAt: at(10), eventType: 'ACCETTAZIONE', identificativo: 'altrui-1@pec.gestore.test', sender: 'info@pec.beta.test', recipient: 'ditta@pec.altro.it', outcome: 'OK' },
    ],
  });
  mta = await startAccessPoint(portal.db);
});
after(async () => {
  await mta?.stop();
  await portal?.stop();
});

test('holder: own mailbox, own history, password change, sign-in and SMTP AUTH with the new password', { timeout: 180_000 }, async () => {
  const page = await portal.newPage();
  await loginThroughForm(page, portal.url, f.users.holderA.email, fixturePassword);
  await page.waitForURL(`${portal.url}/dashboard`);
  await page.getByRole('link', { name: 'La mia casella' }).first().click();
  await page.waitForURL(`${portal.url}/my-mailbox`);
  assert.equal(await page.getByTestId('own-address').textContent(), own);
  assert.equal(await page.getByTestId('own-status').textContent(), 'Attiva');
  assert.match((await page.getByTestId('own-quota').textContent()) ?? '', /^0 MB di 2048 MB \(0%\)$/);
  assert.match((await page.getByTestId('how-to-renew').textContent()) ?? '', /Chiedi il rinnovo a Rivenditore Alfa/);
  await portal.screenshot(page, 'holder-my-mailbox');

  await page.getByTestId('history-link').click();
  await page.waitForURL(`${portal.url}/my-mailbox/history`);
  const rows = page.getByTestId('history-row');
  assert.equal(await rows.count(), 3);
  assert.match((await rows.nth(0).textContent()) ?? '', /Presa in carico.*Ricevuto.*ditta@pec\.altro\.it/);
  assert.match((await rows.nth(2).textContent()) ?? '', /Accettazione.*Inviato.*protocollo@pec\.comune\.it/);
  assert.ok(!(await page.content()).includes('altrui-1@pec.gestore.test'), 'another mailbox’s message is not shown');
  await portal.screenshot(page, 'holder-history');

  // password: a wrong current password is marked on its field, then the change goes through
  await page.goto(`${portal.url}/my-mailbox`);
  const form = page.getByTestId('change-mailbox-password');
  await form.locator('#f-currentPassword').fill('non-la-password');
  await form.locator('#f-newPassword').fill(newPassword);
  await form.locator('button[type=submit]').click();
  assert.match((await form.locator('#f-currentPassword-error').textContent()) ?? '', /non è corretta/);
  await form.locator('#f-currentPassword').fill(fixturePassword);
  await form.locator('button[type=submit]').click();
  await page.getByTestId('toast').filter({ hasText: 'Password cambiata' }).waitFor();
  // this session goes on (re-issued), and the trail shows the change
  await page.reload();
  await page.getByTestId('own-activity').filter({ hasText: 'Password casella cambiata dal titolare' }).waitFor();
  await page.locator('[data-testid=logout]:visible').click();
  await page.waitForURL(/\/login/);

  await loginThroughForm(page, portal.url, f.users.holderA.email, fixturePassword);
  await page.locator('[data-testid=login-form] [role=alert]').waitFor();
  assert.ok(page.url().endsWith('/login'), 'the old password no longer signs in');
  await loginThroughForm(page, portal.url, f.users.holderA.email, newPassword);
  await page.waitForURL(`${portal.url}/dashboard`);
  await page.context().close();

  // the mail program: the MTA reads the new hash from the database at once
  assert.equal(await mta.login(own, newPassword), 'accepted');
  assert.equal(await mta.login(own, fixturePassword), 535);
});

test('a holder gets 404 for every other object by URL; an admin gets 404 for the holder pages', { timeout: 120_000 }, async () => {
  const holder = await portal.newPage();
  await loginThroughForm(holder, portal.url, f.users.holderB.email, fixturePassword);
  await holder.waitForURL(`${portal.url}/dashboard`);
  const request = await portal.db.prisma.mailboxRequest.create({
    data: { kind: 'RENEWAL', plan: 'base', requesterOrganizationId: f.companyB, mailboxId: f.mailboxB, status: 'SUBMITTED' },
  });
  for (const url of [
    `/mailboxes/${f.mailboxA}`,
    `/mailboxes/${f.mailboxB}`,
    `/organizations/${f.companyB}`,
    `/domains/${f.domainB}`,
    `/users/${f.users.holderA.id}`,
    `/requests/${request.id}`,
    `/log`,
    `/log/message?ref=inviato-1@pec.gestore.test`,
  ]) {
    const res = await holder.goto(`${portal.url}${url}`);
    assert.equal(res?.status(), 404, url);
  }
  for (const url of [`/log/export?from=2026-01-01&to=2026-12-31`, `/requests/${request.id}/modulo`]) {
    assert.equal((await holder.request.get(`${portal.url}${url}`)).status(), 404, url);
  }
  // its own pages answer, and show its own mailbox only
  assert.equal((await holder.goto(`${portal.url}/my-mailbox`))?.status(), 200);
  assert.equal(await holder.getByTestId('own-address').textContent(), 'info@pec.beta.test');
  await holder.goto(`${portal.url}/my-mailbox/history`);
  assert.deepEqual(await holder.getByTestId('history-row').allTextContents().then((r) => r.length), 1);
  await holder.context().close();

  const phone = await portal.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
  await loginThroughForm(phone, portal.url, f.users.holderB.email, fixturePassword);
  await phone.waitForURL(`${portal.url}/dashboard`);
  await phone.goto(`${portal.url}/my-mailbox`);
  await phone.getByTestId('own-address').waitFor();
  await portal.screenshot(phone, 'holder-my-mailbox-phone');
  await phone.context().close();

  const admin = await portal.newPage();
  await loginThroughForm(admin, portal.url, f.users.companyA.email, fixturePassword);
  await admin.waitForURL(`${portal.url}/dashboard`);
  assert.equal(await admin.getByRole('link', { name: 'La mia casella' }).count(), 0, 'no holder entry in an admin’s menu');
  assert.equal((await admin.goto(`${portal.url}/my-mailbox`))?.status(), 404);
  assert.equal((await admin.goto(`${portal.url}/my-mailbox/history`))?.status(), 404);
  await admin.context().close();
});
