/**
 * Browser test of the MTA state panel and /api/metrics on the production portal: state recorded
 * through the MTA's own store and log shows on the provider admin's dashboard (and on no one
 * else's), and /api/metrics answers a loopback scraper over real HTTP.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loginThroughForm, startPortalForBrowserTests, type PortalHarness } from '@/lib/testing/browser';
import { createTenantFixture, fixturePassword, type TenantFixture } from '@/lib/testing/tenants';
import { MessageStateStore } from '@/mail/mta/message-state';
import { DatabaseTransmissionLog } from '@/mail/mta/transmission-log-db';

const token = 'dashboard-metrics-token-0123456789';
let portal: PortalHarness;
let f: TenantFixture;

before(async () => {
  portal = await startPortalForBrowserTests({ env: { METRICS_TOKEN: token } });
  f = await createTenantFixture(portal.db.prisma);
  const store = new MessageStateStore(portal.db.prisma, {
    preavvisoSeconds: 12 * 3600,
    mancataConsegnaSeconds: 24 * 3600,
    archiveDir: path.join(portal.db.dir, 'originals'),
  });
  // accepted 13 h ago, relayed, no receipt since: both recipients are queued and past 12 h
  await store.recordSubmission({
    identificativo: 'dash-1@pec.localhost.test',
    originalMessageId: '<dash-1@client>',
    sender: 'info@pec.alfa.test',
    subject: 'prova',
    receiptType: 'completa',
    sizeBytes: 10,
    recipients: [
      { address: 'a@pec.other.test', tipo: 'certificato' },
      { address: 'b@pec.other.test', tipo: 'certificato' },
    ],
    original: Buffer.from('Subject: prova\r\n\r\nciao\r\n'),
    acceptedAt: new Date(Date.now() - 13 * 3_600_000),
  });
  await store.markRelayed('dash-1@pec.localhost.test', ['a@pec.other.test', 'b@pec.other.test']);
  const log = new DatabaseTransmissionLog(portal.db.prisma);
  for (const type of ['ACCETTAZIONE', 'ACCETTAZIONE', 'ACCETTAZIONE', 'AVVENUTA_CONSEGNA_SENT', 'ANOMALIA'] as const) {
    await log.write({ type, identificativo: 'dash-1@pec.localhost.test', outcome: 'OK' });
  }
});
after(() => portal?.stop());

test('the provider admin sees the MTA state; a reseller admin does not', { timeout: 120_000 }, async () => {
  const page = await portal.newPage();
  await loginThroughForm(page, portal.url, f.users.provider.email, fixturePassword);
  await page.waitForURL(`${portal.url}/dashboard`);
  await page.getByTestId('mta-state').waitFor();
  assert.equal(await page.getByTestId('mta-queue').textContent(), '2');
  assert.equal(await page.getByTestId('mta-accepted').textContent(), '3');
  assert.equal(await page.getByTestId('mta-delivered').textContent(), '1');
  assert.equal(await page.getByTestId('mta-anomalies').textContent(), '1');
  assert.equal(await page.getByTestId('mta-overdue').textContent(), '2');
  assert.match((await page.getByTestId('mta-certificate').textContent()) ?? '', /nessun certificato attivo/);
  await portal.screenshot(page, 'dashboard-mta-state');
  await page.context().close();

  const reseller = await portal.newPage();
  await loginThroughForm(reseller, portal.url, f.users.resellerA.email, fixturePassword);
  await reseller.waitForURL(`${portal.url}/dashboard`);
  await reseller.getByTestId('figure-companies').waitFor();
  assert.equal(await reseller.getByTestId('mta-state').count(), 0);
  await reseller.context().close();
});

test('/api/metrics over HTTP: loopback scraper served, forged remote hop refused, token accepted', async () => {
  const res = await fetch(`${portal.url}/api/metrics`);
  assert.equal(res.status, 200, portal.log());
  const text = await res.text();
  assert.match(text, /^pec_queue_recipients_pending 2$/m);
  assert.match(text, /^pec_messages_accepted_today 3$/m);
  assert.match(text, /^pec_receipts_overdue\{deadline="12h"\} 2$/m);
  const remote = { 'x-forwarded-for': '203.0.113.7' };
  assert.equal((await fetch(`${portal.url}/api/metrics`, { headers: remote })).status, 404);
  assert.equal((await fetch(`${portal.url}/api/metrics`, { headers: { ...remote, authorization: `Bearer ${token}` } })).status, 200);
});
