/**
 * Browser tests of the portal foundation (real production build, real database, headless chromium):
 * password login, TOTP enrolment and TOTP login, logout, the 404 for another tenant's object,
 * the language switch, and screenshots of the dashboard at laptop and phone widths.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { currentTotpCode } from '@/lib/auth/totp';
import { executeAction } from '@/lib/audit/action';
import { loadActor } from '@/lib/permissions';
import { resetUserPasswordSpec } from '@/app/(portal)/users/specs';
import { loginThroughForm, startPortalForBrowserTests, type PortalHarness } from '@/lib/testing/browser';
import { createTenantFixture, fixturePassword, type TenantFixture } from '@/lib/testing/tenants';

let portal: PortalHarness;
let f: TenantFixture;

before(async () => {
  portal = await startPortalForBrowserTests();
  f = await createTenantFixture(portal.db.prisma);
});
after(() => portal?.stop());

test('password login lands on a dashboard with real counts for the scope; logout ends the session', { timeout: 120_000 }, async () => {
  const page = await portal.newPage();
  await loginThroughForm(page, portal.url, f.users.resellerA.email, fixturePassword);
  await page.waitForURL(`${portal.url}/dashboard`);
  // reseller A: one company, one domain, one mailbox (reseller B's are not counted)
  assert.equal(await page.getByTestId('figure-companies').textContent(), '1');
  assert.equal(await page.getByTestId('figure-domains').textContent(), '1');
  assert.equal(await page.getByTestId('figure-mailboxes').textContent(), '1');
  assert.match((await page.locator('h1').textContent()) ?? '', /Benvenuto/);
  const user = await portal.db.prisma.user.findUniqueOrThrow({ where: { id: f.users.resellerA.id } });
  assert.equal(user.lastLoginIp, '127.0.0.1');
  await page.goto(`${portal.url}/`);
  await page.waitForURL(`${portal.url}/dashboard`);

  await page.locator('[data-testid=logout]:visible').click();
  await page.waitForURL(/\/login\?loggedOut=1$/);
  await page.goto(`${portal.url}/dashboard`);
  await page.waitForURL(/\/login/);
  await page.context().close();
});

test('a wrong password is refused with a message, and the form stays', { timeout: 60_000 }, async () => {
  const page = await portal.newPage();
  await loginThroughForm(page, portal.url, f.users.companyB.email, 'not-the-password');
  const alert = page.locator('[data-testid=login-form] [role=alert]');
  await alert.waitFor();
  assert.match((await alert.textContent()) ?? '', /non corretti/);
  await portal.screenshot(page, 'login-error');
  assert.ok(page.url().endsWith('/login'));
  await page.context().close();
});

test('TOTP: enrol on the profile page, then log in with password and a computed code', { timeout: 120_000 }, async () => {
  const page = await portal.newPage();
  await loginThroughForm(page, portal.url, f.users.companyA.email, fixturePassword);
  await page.waitForURL(`${portal.url}/dashboard`);
  await page.goto(`${portal.url}/profile`);
  await page.getByTestId('totp-start').click();
  const secret = ((await page.getByTestId('totp-secret').textContent()) ?? '').trim();
  assert.match(secret, /^[A-Z2-7]{32}$/);
  await page.locator('#totp-code').fill(currentTotpCode(secret));
  await page.getByRole('button', { name: 'Conferma' }).click();
  await page.getByTestId('recovery-codes').waitFor();
  assert.equal(await page.locator('[data-testid=recovery-codes] li').count(), 10);
  await portal.screenshot(page, 'profile-recovery-codes');
  await page.locator('[data-testid=logout]:visible').click();
  await page.waitForURL(/\/login/);

  // the code that confirmed the enrolment is spent (no replay): log in with the next step's code
  await loginThroughForm(page, portal.url, f.users.companyA.email, fixturePassword, () => currentTotpCode(secret, Date.now() + 30_000));
  await page.waitForURL(`${portal.url}/dashboard`);
  assert.equal(await page.getByTestId('figure-mailboxes').textContent(), '1');
  await page.context().close();
});

test('a reseller opening another reseller’s company by URL gets a 404', { timeout: 60_000 }, async () => {
  const page = await portal.newPage();
  await loginThroughForm(page, portal.url, f.users.resellerA.email, fixturePassword);
  await page.waitForURL(`${portal.url}/dashboard`);
  const own = await page.goto(`${portal.url}/organizations/${f.companyA}`);
  assert.equal(own?.status(), 200);
  await portal.screenshot(page, 'organization-detail-reseller');
  const foreign = await page.goto(`${portal.url}/organizations/${f.companyB}`);
  assert.equal(foreign?.status(), 404);
  await page.getByTestId('not-found').waitFor();
  await portal.screenshot(page, 'not-found');
  const foreignUser = await page.goto(`${portal.url}/users/${f.users.holderB.id}`);
  assert.equal(foreignUser?.status(), 404);
  await page.context().close();
});

test('language switch: Italian by default, English on request, remembered', { timeout: 60_000 }, async () => {
  const page = await portal.newPage();
  await loginThroughForm(page, portal.url, f.users.provider.email, fixturePassword);
  await page.waitForURL(`${portal.url}/dashboard`);
  assert.equal(await page.locator('html').getAttribute('lang'), 'it');
  await portal.screenshot(page, 'dashboard-provider-it');
  await page.locator('[data-testid=lang-en]:visible').click();
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  assert.match((await page.locator('h1').textContent()) ?? '', /Welcome/);
  await page.goto(`${portal.url}/organizations`);
  assert.equal(await page.locator('h1').textContent(), 'Organizations');
  await page.locator('[data-testid=lang-it]:visible').click();
  await page.waitForFunction(() => document.documentElement.lang === 'it');
  assert.equal(await page.locator('h1').textContent(), 'Organizzazioni');
  await page.context().close();
});

test('phone width: the menu opens from the top bar', { timeout: 60_000 }, async () => {
  const page = await portal.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await loginThroughForm(page, portal.url, f.users.provider.email, fixturePassword);
  await page.waitForURL(`${portal.url}/dashboard`);
  await portal.screenshot(page, 'dashboard-provider-phone');
  await page.locator('header summary').click();
  await page.locator('header a[href="/organizations"]').click();
  await page.waitForURL(`${portal.url}/organizations`);
  await portal.screenshot(page, 'organizations-phone');
  await page.context().close();
});

test('account set-up first: an initial password must be changed, then an org requiring TOTP forces enrolment', { timeout: 120_000 }, async () => {
  const { prisma } = portal.db;
  await prisma.user.update({ where: { id: f.users.resellerB.id }, data: { mustChangePassword: true } });
  await prisma.organization.update({ where: { id: f.resellerB }, data: { requireTotpForAdmins: true } });
  const page = await portal.newPage();
  await loginThroughForm(page, portal.url, f.users.resellerB.email, fixturePassword);
  await page.waitForURL(`${portal.url}/profile`);
  await page.getByTestId('setup-required').waitFor();
  // nothing else is reachable meanwhile
  await page.goto(`${portal.url}/organizations`);
  await page.waitForURL(`${portal.url}/profile`);

  const form = page.getByTestId('change-password');
  await form.locator('#f-currentPassword').fill(fixturePassword);
  await form.locator('#f-newPassword').fill('corta');
  await form.locator('button[type=submit]').click();
  await form.locator('#f-newPassword-error').waitFor();
  assert.match((await form.locator('#f-newPassword-error').textContent()) ?? '', /12 caratteri/);
  await form.locator('#f-currentPassword').fill(fixturePassword);
  await form.locator('#f-newPassword').fill('Una-Password-Nuova-2026');
  await form.locator('button[type=submit]').click();
  await page.getByTestId('toast').filter({ hasText: 'Password modificata' }).waitFor();

  // the password step is done; TOTP is still required by the organization
  await page.goto(`${portal.url}/dashboard`);
  await page.waitForURL(`${portal.url}/profile`);
  assert.match((await page.getByTestId('setup-required').textContent()) ?? '', /due passaggi/);
  await page.getByTestId('totp-start').click();
  const secret = ((await page.getByTestId('totp-secret').textContent()) ?? '').trim();
  await page.locator('#totp-code').fill(currentTotpCode(secret));
  await page.getByRole('button', { name: 'Conferma' }).click();
  await page.getByTestId('recovery-codes').waitFor();
  await page.goto(`${portal.url}/organizations`);
  assert.equal(await page.locator('h1').textContent(), 'Organizzazioni');
  await page.context().close();
});

test('provider creates a reseller and a user: toast feedback, the new row, the password shown once', { timeout: 120_000 }, async () => {
  const page = await portal.newPage();
  await loginThroughForm(page, portal.url, f.users.provider.email, fixturePassword);
  await page.waitForURL(`${portal.url}/dashboard`);
  await page.goto(`${portal.url}/organizations`);
  const form = page.getByTestId('create-organization');
  await form.locator('#f-name').fill('Rivenditore Gamma');
  await form.locator('#f-vatNumber').fill('123');
  await form.locator('button[type=submit]').click();
  await form.locator('#f-vatNumber-error').waitFor();
  await form.locator('#f-vatNumber').fill('09876543210');
  await form.locator('button[type=submit]').click();
  await page.getByTestId('toast').filter({ hasText: 'Organizzazione creata' }).waitFor();
  await page.getByTestId('organizations-table').getByText('Rivenditore Gamma').waitFor();
  await portal.screenshot(page, 'organizations-provider');
  const gamma = await portal.db.prisma.organization.findFirstOrThrow({ where: { name: 'Rivenditore Gamma' } });
  assert.equal(gamma.kind, 'RESELLER');
  assert.equal(gamma.vatNumber, '09876543210');

  await page.goto(`${portal.url}/users`);
  const userForm = page.getByTestId('create-user');
  await userForm.locator('#f-email').fill('amministrazione@gamma.test');
  await userForm.locator('#f-role').selectOption('RESELLER_ADMIN');
  await userForm.locator('#f-organizationId').selectOption(gamma.id);
  await userForm.locator('button[type=submit]').click();
  const shown = userForm.getByRole('status');
  await shown.waitFor();
  const password = /: (\S+)$/.exec((await shown.textContent()) ?? '')?.[1];
  assert.ok(password && password.length >= 20);
  await portal.screenshot(page, 'users-provider');

  const audit = await portal.db.prisma.auditEvent.findFirstOrThrow({ where: { action: 'user.create' }, orderBy: { id: 'desc' } });
  assert.equal(audit.actorEmail, f.users.provider.email);
  assert.equal(audit.ip, '127.0.0.1');
  await page.goto(`${portal.url}/audit?action=user.`);
  await page.getByTestId('audit-table').getByText('Utente creato').first().waitFor();
  await portal.screenshot(page, 'audit-provider');
  await page.context().close();

  // the new reseller admin logs in with that password and is asked to change it
  const next = await portal.newPage();
  await loginThroughForm(next, portal.url, 'amministrazione@gamma.test', password);
  await next.waitForURL(`${portal.url}/profile`);
  await next.context().close();
});

test('a password reset by an admin ends the user’s open sessions', { timeout: 60_000 }, async () => {
  const page = await portal.newPage();
  await loginThroughForm(page, portal.url, f.users.auditorA.email, fixturePassword);
  await page.waitForURL(`${portal.url}/dashboard`);
  const provider = (await loadActor(portal.db.prisma, f.users.provider.id))!;
  const reset = await executeAction(resetUserPasswordSpec, provider, { id: f.users.auditorA.id }, { ip: null }, portal.db.prisma);
  assert.ok(reset.ok);
  await page.goto(`${portal.url}/dashboard`);
  await page.waitForURL(/\/login/);
  await page.context().close();
});

test('a holder reads the trail of its own mailbox only', { timeout: 60_000 }, async () => {
  const { prisma } = portal.db;
  await prisma.auditEvent.createMany({
    data: [
      { action: 'mailbox.suspend', entityType: 'Mailbox', entityId: f.mailboxA, organizationId: f.companyA, actorEmail: 'admin@alfa.test' },
      { action: 'mailbox.suspend', entityType: 'Mailbox', entityId: f.mailboxB, organizationId: f.companyB, actorEmail: 'admin@beta.test' },
    ],
  });
  const page = await portal.newPage();
  await loginThroughForm(page, portal.url, f.users.holderA.email, fixturePassword);
  await page.waitForURL(`${portal.url}/dashboard`);
  await page.goto(`${portal.url}/audit`);
  const table = page.getByTestId('audit-table');
  await table.waitFor();
  const text = (await table.textContent()) ?? '';
  assert.ok(text.includes(f.mailboxA), 'its own mailbox’s event is listed');
  assert.ok(!text.includes(f.mailboxB), 'another mailbox’s event is not');
  assert.equal(await page.getByTestId('audit-filters').count(), 0, 'no search form for holders');
  await page.context().close();
});
