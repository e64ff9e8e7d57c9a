/**
 * Browser test of the auditor log search (real production build, real database, headless chromium):
 * an auditor of reseller A logs in, sees only A's traffic, pages with newer/older, gets inline
 * validation, opens a message timeline, downloads the CSV export; every step is in the audit
 * trail, and B's message opened by URL answers 404.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { parseCsv } from '@/lib/transmission-log/testing';
import { loginThroughForm, startPortalForBrowserTests, type PortalHarness } from '@/lib/testing/browser';
import { createTenantFixture, fixturePassword, type TenantFixture } from '@/lib/testing/tenants';

let portal: PortalHarness;
let f: TenantFixture;
const alfa = 'info@pec.alfa.test';
const beta = 'info@pec.beta.test';
const messagesA = 40; // 3 events each (accettazione, busta, consegna): 120 rows, three pages of 50

before(async () => {
  portal = await startPortalForBrowserTests();
  f = await createTenantFixture(portal.db.prisma);
  const base = Date.now() - 6 * 3_600_000;
  const data = [];
  for (let i = 0; i < messagesA; i++) {
    const at = base + i * 60_000;
    const common = { identificativo: `opec.alfa.${i}@pec.provider.test`, originalMessageId: `<alfa-${i}@client.test>`, sender: alfa };
    data.push({ ...common, occurredAt: new Date(at), eventType: 'ACCETTAZIONE', outcome: 'OK' });
    data.push({ ...common, occurredAt: new Date(at + 1000), eventType: 'RELAYED', recipient: `ufficio${i}@pec.comune.test`, outcome: 'OK' });
    data.push({ ...common, occurredAt: new Date(at + 5000), eventType: 'AVVENUTA_CONSEGNA', recipient: `ufficio${i}@pec.comune.test`, outcome: 'OK' });
  }
  for (let i = 0; i < 10; i++) {
    const common = { identificativo: `opec.beta.${i}@pec.provider.test`, originalMessageId: `<beta-${i}@client.test>`, sender: beta };
    data.push({ ...common, occurredAt: new Date(base + i * 30_000), eventType: 'ACCETTAZIONE', outcome: 'OK' });
    data.push({ ...common, occurredAt: new Date(base + i * 30_000 + 1000), eventType: 'RELAYED', recipient: 'segreteria@pec.altro.test', outcome: 'OK' });
  }
  await portal.db.prisma.transmissionLog.createMany({ data });
});
after(() => portal?.stop());

test('auditor: scoped search, keyset paging, inline validation, timeline, CSV export, all audited', { timeout: 180_000 }, async () => {
  const page = await portal.newPage({ acceptDownloads: true });
  await loginThroughForm(page, portal.url, f.users.auditorA.email, fixturePassword);
  await page.waitForURL(`${portal.url}/dashboard`, { timeout: 90_000 });
  await page.locator('nav a[href="/log"]:visible').click();
  await page.waitForURL(`${portal.url}/log`);
  assert.match((await page.locator('h1').textContent()) ?? '', /Log dei messaggi/);

  // first page: 50 rows, all A's, none of B's
  const rows = page.getByTestId('log-row');
  assert.equal(await rows.count(), 50);
  const firstPage = await page.getByTestId('log-table').textContent();
  assert.ok(firstPage?.includes(alfa));
  assert.ok(!firstPage?.includes('beta'), 'B traffic on A auditor page');
  assert.equal(await page.getByTestId('log-newer').count(), 0);
  await portal.screenshot(page, 'log-search');

  // older → older → newer: keyset pages, the last one partial
  const follow = async (testId: string) => {
    const href = await page.getByTestId(testId).getAttribute('href');
    await page.getByTestId(testId).click();
    await page.waitForURL(`${portal.url}${href}`);
  };
  await follow('log-older');
  assert.equal(await rows.count(), 50);
  await follow('log-older');
  assert.equal(await rows.count(), 3 * messagesA - 100);
  assert.equal(await page.getByTestId('log-older').count(), 0);
  await follow('log-newer');
  assert.equal(await rows.count(), 50);
  assert.ok(await page.getByTestId('log-older').isVisible());

  // inline validation: a malformed sender is flagged as typed, and the form does not submit
  await page.goto(`${portal.url}/log`);
  const sender = page.locator('[data-testid=log-filters] input[name=sender]');
  await sender.fill('not-an-address');
  await page.getByTestId('error-sender').waitFor();
  await page.getByTestId('log-search').click();
  assert.equal(new URL(page.url()).search, '');
  // the server says the same when the check is bypassed
  await page.goto(`${portal.url}/log?sender=bad&from=2026-01-02&to=2026-01-01`);
  assert.ok(await page.getByTestId('error-sender').isVisible());
  assert.ok(await page.getByTestId('error-to').isVisible());

  // a real search by Message-ID, then its timeline
  await page.goto(`${portal.url}/log`);
  await page.locator('[data-testid=log-filters] input[name=messageId]').fill('alfa-7@client.test');
  await page.getByTestId('log-search').click();
  await page.waitForURL(/messageId=/);
  assert.equal(await rows.count(), 3);
  await page.getByTestId('log-timeline-link').first().click();
  await page.waitForURL(/\/log\/message\?/);
  assert.equal(await page.getByTestId('timeline-recipient').count(), 1);
  assert.equal((await page.getByTestId('timeline-state').textContent())?.trim(), 'Consegnato');
  assert.equal((await page.getByTestId('timeline-acceptance').textContent())?.trim(), 'Accettato');
  assert.equal(await page.locator('[data-testid=timeline-events] tbody tr').count(), 3);
  await portal.screenshot(page, 'log-timeline');

  // B's message by URL: 404
  const foreign = await page.goto(`${portal.url}/log/message?ref=${encodeURIComponent('opec.beta.3@pec.provider.test')}`);
  assert.equal(foreign?.status(), 404);

  // the export of the default search: every A row, no B row
  await page.goto(`${portal.url}/log`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('log-export').click()]);
  assert.match(download.suggestedFilename(), /^log-pec_\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}\.csv$/);
  const csv = (await readFile((await download.path())!)).toString('utf8');
  const records = parseCsv(csv.replace(/^\uFEFF/, ''));
  assert.equal(records[0][0], 'data_ora_utc');
  assert.equal(records.length - 1, 3 * messagesA);
  assert.ok(records.slice(1).every((r) => r[5] === alfa));

  const audit = await portal.db.prisma.auditEvent.findMany({
    where: { actorUserId: f.users.auditorA.id, action: { startsWith: 'log.' } },
    orderBy: { id: 'asc' },
  });
  const actions = new Set(audit.map((a) => a.action));
  assert.deepEqual([...actions].sort(), ['log.export', 'log.search', 'log.timeline']);
  const bySearch = audit.find((a) => a.action === 'log.search' && JSON.stringify(a.after).includes('alfa-7@client.test'));
  assert.ok(bySearch, 'the Message-ID search is in the audit trail');
  assert.equal(bySearch.ip, '127.0.0.1');
  await page.context().close();
});

test('roles without log search get a 404, for the page and the export alike', { timeout: 60_000 }, async () => {
  const page = await portal.newPage();
  await loginThroughForm(page, portal.url, f.users.companyA.email, fixturePassword);
  await page.waitForURL(`${portal.url}/dashboard`, { timeout: 90_000 });
  assert.equal(await page.locator('nav a[href="/log"]').count(), 0);
  assert.equal((await page.goto(`${portal.url}/log`))?.status(), 404);
  const res = await page.request.get(`${portal.url}/log/export`);
  assert.equal(res.status(), 404);
  await page.context().close();
});
