/**
 * MTA-side counters: the MTA's own in-memory log writer and a real signer (test CA key made with
 * openssl) are wrapped; the wrapped objects behave exactly as before and feed the counters.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createTestSigningCertificate } from '@/lib/certificates';
import { createSigner, type Signer } from '@/mail/pec';
import { InflowGate } from '@/mail/mta/inflow';
import { MemoryTransmissionLog } from '@/mail/mta/transmission-log';
import { countingLog, MtaCounters, mtaCounters, timedSigner } from '.';

let tmp: string;
let signer: Signer;

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'pec-mta-counters-'));
  const { material } = await createTestSigningCertificate({
    dataDir: tmp,
    serviceAddress: 'posta-certificata@pec.localhost.test',
    providerName: 'Demo PEC Provider',
  });
  signer = createSigner(material);
});
after(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test('a counting log writes through and counts by type and outcome', async () => {
  const counters = new MtaCounters();
  const inner = new MemoryTransmissionLog();
  const log = countingLog(inner, counters);
  await log.write({ type: 'ACCETTAZIONE', outcome: 'OK' });
  await log.write({ type: 'ACCETTAZIONE', outcome: 'OK' });
  await log.write({ type: 'BUSTA_RELAYED', outcome: 'OK' });
  await log.write({ type: 'BUSTA_RELAYED', outcome: 'ERROR' });
  await log.write({ type: 'ANOMALIA', outcome: 'OK' });
  assert.equal(inner.events.length, 5);
  assert.equal(counters.eventCount('ACCETTAZIONE'), 2);
  const text = counters.write().toString();
  assert.match(text, /^pec_mta_messages_accepted_total 2$/m);
  // a deferred relay is not a relayed message
  assert.match(text, /^pec_mta_messages_relayed_total 1$/m);
  assert.match(text, /^pec_mta_events_total\{event="busta_relayed",outcome="error"\} 1$/m);
  assert.match(text, /^pec_mta_anomalies_total 1$/m);
  assert.match(text, /^pec_mta_messages_delivered_total 0$/m);
});

test('submissions held back by the inflow gate are counted with the time they waited', async () => {
  const counters = new MtaCounters();
  const gate = new InflowGate({ maxInbound: 1, maxDelayMs: 5_000 });
  counters.trackInflow(gate.stats);
  assert.match(counters.write().toString(), /^pec_mta_submissions_delayed_total 0$/m);
  // two receptions in progress, one over the limit: a submission waits until one of them ends
  let finish!: () => void;
  const busy = new Promise<void>((resolve) => (finish = resolve));
  const receptions = [gate.reception(() => busy), gate.reception(() => busy)];
  const admitted = gate.admitSubmission();
  await new Promise((r) => setTimeout(r, 50));
  finish();
  await Promise.all(receptions);
  const waitedMs = await admitted;
  assert.ok(waitedMs >= 40, `waited ${waitedMs} ms`);
  assert.equal(await gate.admitSubmission(), 0, 'an idle gate holds nobody');
  const text = counters.write().toString();
  assert.match(text, /^pec_mta_submissions_delayed_total 1$/m);
  const seconds = Number(/^pec_mta_submission_delay_seconds_total (\S+)$/m.exec(text)?.[1]);
  assert.ok(Math.abs(seconds - waitedMs / 1000) < 0.001, `${seconds} s against ${waitedMs} ms`);
});

test('a timed signer signs byte for byte like the signer and fills the histogram', async () => {
  const counters = new MtaCounters();
  const timed = timedSigner(signer, counters);
  const entity = Buffer.from('Content-Type: text/plain\r\n\r\nciao\r\n');
  const when = new Date('2026-11-24T10:00:00Z');
  assert.deepEqual(await timed.signDetached(entity, when), await signer.signDetached(entity, when));
  const wrapped = await timed.signEntity([entity], when);
  // the multipart boundary is random: check the shape, and that the entity is carried as is
  assert.match(wrapped.contentType, /^multipart\/signed;/);
  assert.ok(Buffer.concat(wrapped.body).includes(entity));
  assert.equal(timed.email, signer.email);
  assert.equal(counters.signingCount, 2);
  const text = counters.write().toString();
  assert.match(text, /^pec_mta_signing_seconds_count 2$/m);
  assert.match(text, /^pec_mta_signing_seconds_bucket\{le="\+Inf"\} 2$/m);
  const sum = Number(/^pec_mta_signing_seconds_sum (\S+)$/m.exec(text)?.[1]);
  assert.ok(sum > 0 && sum < 5, `signing took ${sum} s`);
  // cumulative buckets never decrease
  const buckets = [...text.matchAll(/^pec_mta_signing_seconds_bucket\{le="[^"]+"\} (\d+)$/gm)].map((m) => Number(m[1]));
  assert.deepEqual([...buckets].sort((a, b) => a - b), buckets);
});

test('one set of counters per process, shared by every plugin bundle', () => {
  assert.equal(mtaCounters(), mtaCounters());
});
