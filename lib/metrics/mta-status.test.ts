/**
 * The MTA's /metrics end to end: two real Haraka providers on loopback, one PEC from A to B;
 * A's status port counts the accettazione, the relayed busta and its signatures, B's the delivery,
 * both report the database-derived state of their own provider, and A the receipt latency.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import nodemailer from 'nodemailer';
import { startPecNetwork, type PecNetwork, type RunningProvider } from '@/mail/mta/testing/pec-network';
import { readSamples } from './prometheus';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pec-mta-status-'));
const password = 'Segreta-123';
let net: PecNetwork;
let A: RunningProvider;
let B: RunningProvider;

before(async () => {
  net = await startPecNetwork({
    dir: tmp,
    providers: [
      { key: 'A', name: 'Alfa PEC S.p.A.', domain: 'pec.alfa.test', mailboxes: [{ address: 'alice@pec.alfa.test', password }] },
      { key: 'B', name: 'Beta PEC S.r.l.', domain: 'pec.beta.test', mailboxes: [{ address: 'bob@pec.beta.test', password }] },
    ],
  });
  A = net.providers.A;
  B = net.providers.B;
});

after(async () => {
  await net?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

async function scrape(p: RunningProvider): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${p.env.MTA_STATUS_PORT}/metrics`);
  assert.equal(res.status, 200);
  return readSamples(await res.text());
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('counters and state on MTA_STATUS_PORT follow one PEC from A to B', { timeout: 90_000 }, async () => {
  // the status server starts with the plugin, a moment after SMTP
  await until('status endpoints', async () => {
    const ok = async (p: RunningProvider) => (await fetch(`http://127.0.0.1:${p.env.MTA_STATUS_PORT}/health`).catch(() => null))?.status === 200;
    return (await ok(A)) && (await ok(B));
  });
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: A.submissionTlsPort,
    secure: true,
    tls: { rejectUnauthorized: false },
    auth: { user: 'alice@pec.alfa.test', pass: password },
  });
  await transport.sendMail({ from: 'alice@pec.alfa.test', to: 'bob@pec.beta.test', subject: 'Metriche', text: 'ciao' }).finally(() => transport.close());

  // A logs the consegna alongside moving its state, and observes the latency once the state moved:
  // wait for both, or the scrape can fall between them
  await until('delivery at B and the consegna back at A', async () => {
    const [a, b] = await Promise.all([scrape(A), scrape(B)]);
    return (
      b.get('pec_mta_messages_delivered_total') === 1 &&
      (a.get('pec_mta_events_total{event="avvenuta_consegna_received",outcome="ok"}') ?? 0) >= 1 &&
      (a.get('pec_mta_receipt_latency_seconds_count') ?? 0) >= 1
    );
  });
  const a = await scrape(A);
  const b = await scrape(B);
  assert.equal(a.get('pec_mta_messages_accepted_total'), 1);
  assert.equal(a.get('pec_mta_messages_relayed_total'), 1);
  assert.equal(a.get('pec_mta_anomalies_total'), 0);
  // A measured the time from its accettazione to B's consegna; B sent nothing
  assert.equal(a.get('pec_mta_receipt_latency_seconds_count'), 1);
  const latency = a.get('pec_mta_receipt_latency_seconds_sum') ?? -1;
  assert.ok(latency >= 0 && latency < 60, `receipt latency ${latency} s`);
  assert.equal(b.get('pec_mta_receipt_latency_seconds_count'), 0);
  // A signs the busta and the accettazione at least
  assert.ok((a.get('pec_mta_signing_seconds_count') ?? 0) >= 2);
  assert.ok((b.get('pec_mta_signing_seconds_count') ?? 0) >= 2, 'B signs presa in carico and consegna');
  // the database-derived state of each provider
  assert.equal(a.get('pec_mta_state_up'), 1);
  assert.equal(a.get('pec_messages_accepted_today'), 1);
  assert.equal(b.get('pec_messages_delivered_today'), 1);
  assert.equal(a.get('pec_queue_recipients_pending'), 0);
});
