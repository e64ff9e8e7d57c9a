/**
 * MTA state figures and /metrics on a real database: messages and receipts are recorded through
 * the MTA's own MessageStateStore and DatabaseTransmissionLog, the signing certificate through
 * cert import, then the figures, the Prometheus text and the route's access rule are checked.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestSigningCertificate, importSigningCertificate } from '@/lib/certificates';
import { setDatabaseUrl } from '@/lib/db/client';
import { startTestDatabase, type TestDatabase } from '@/lib/db/testing';
import type { Actor } from '@/lib/permissions';
import { MessageStateStore } from '@/mail/mta/message-state';
import { DatabaseTransmissionLog } from '@/mail/mta/transmission-log-db';
import {
  countingLog,
  localDay,
  metricsAccess,
  MtaCounters,
  mtaStateMetrics,
  readMtaState,
  readMtaStateFor,
  readSamples,
  startMtaStatusServer,
  type MtaState,
} from '.';

const timeZone = 'Europe/Rome';
const hour = 3_600_000;
const token = 'metrics-token-0123456789abcdef';

let db: TestDatabase;
let tmp: string;
let spoolDir: string;
let store: MessageStateStore;
let log: DatabaseTransmissionLog;

function submission(identificativo: string, acceptedAt: Date, recipients: { address: string; certified: boolean }[]) {
  return {
    identificativo,
    originalMessageId: `<${identificativo}>`,
    sender: 'mittente@pec.localhost.test',
    subject: 'prova',
    receiptType: 'completa' as const,
    sizeBytes: 100,
    recipients: recipients.map((r) => ({ address: r.address, tipo: r.certified ? ('certificato' as const) : ('esterno' as const) })),
    original: Buffer.from('Subject: prova\r\n\r\nciao\r\n'),
    acceptedAt,
  };
}

/** Every sample line is `name{labels} value` and every metric has HELP and TYPE before it. */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const typed = new Set<string>();
  for (const line of text.split('\n').filter(Boolean)) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') typed.add(meta[2]);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-z_]+="[^"]*"(?:,[a-z_]+="[^"]*")*\})? (-?[0-9.e+]+|NaN|[+-]Inf)$/.exec(line);
    assert.ok(m, `malformed sample line: ${line}`);
    assert.ok(typed.has(m[1].replace(/_(bucket|sum|count)$/, '')) || typed.has(m[1]), `no TYPE before ${m[1]}`);
    samples.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return samples;
}

before(async () => {
  db = await startTestDatabase();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'pec-metrics-'));
  spoolDir = path.join(tmp, 'spool');
  store = new MessageStateStore(db.prisma, {
    preavvisoSeconds: 12 * 3600,
    mancataConsegnaSeconds: 24 * 3600,
    archiveDir: path.join(tmp, 'originals'),
  });
  log = new DatabaseTransmissionLog(db.prisma);
});

after(async () => {
  await db?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('local day', () => {
  test('Rome midnight in winter, summer and on both DST change days', () => {
    const day = (iso: string) => {
      const d = localDay(new Date(iso), timeZone);
      return [d.start.toISOString(), d.end.toISOString()];
    };
    assert.deepEqual(day('2026-11-24T04:51:00Z'), ['2026-11-23T23:00:00.000Z', '2026-11-24T23:00:00.000Z']);
    assert.deepEqual(day('2026-07-01T22:30:00Z'), ['2026-07-01T22:00:00.000Z', '2026-07-02T22:00:00.000Z']);
    assert.deepEqual(day('2026-07-01T21:59:59Z'), ['2026-06-30T22:00:00.000Z', '2026-07-01T22:00:00.000Z']);
    // 23-hour and 25-hour days
    assert.deepEqual(day('2026-03-29T12:00:00Z'), ['2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z']);
    assert.deepEqual(day('2026-10-25T12:00:00Z'), ['2026-10-24T22:00:00.000Z', '2026-10-25T23:00:00.000Z']);
  });
});

describe('MTA state from the database', () => {
  let now: Date;
  let state: MtaState;

  before(async () => {
    now = new Date();
    const { start } = localDay(now, timeZone);
    // A: accepted 25 h ago; r1 delivered, r2 relayed and silent (past both deadlines), r3 ordinary mail
    await store.recordSubmission(
      submission('A@pec.localhost.test', new Date(now.getTime() - 25 * hour), [
        { address: 'r1@other.test', certified: true },
        { address: 'r2@other.test', certified: true },
        { address: 'r3@example.com', certified: false },
      ]),
    );
    await store.markRelayed('A@pec.localhost.test', ['r1@other.test', 'r2@other.test', 'r3@example.com']);
    assert.equal(await store.applyReceipt('avvenuta-consegna', 'A@pec.localhost.test', ['r1@other.test']), 1);
    // B: accepted now; r4 waits to be relayed, r5 taken in charge, r6 failed
    await store.recordSubmission(
      submission('B@pec.localhost.test', now, [
        { address: 'r4@other.test', certified: true },
        { address: 'r5@other.test', certified: true },
        { address: 'r6@other.test', certified: true },
      ]),
    );
    await store.markRelayed('B@pec.localhost.test', ['r5@other.test', 'r6@other.test']);
    await store.applyReceipt('presa-in-carico', 'B@pec.localhost.test', ['r5@other.test']);
    await store.applyReceipt('errore-consegna', 'B@pec.localhost.test', ['r6@other.test']);

    const event = (type: Parameters<typeof log.write>[0]['type'], occurredAt: Date) =>
      log.write({ type, occurredAt, identificativo: 'B@pec.localhost.test', outcome: type === 'NON_ACCETTAZIONE' ? 'REFUSED' : 'OK' });
    await event('ACCETTAZIONE', start); // exactly local midnight: today
    await event('ACCETTAZIONE', now);
    await event('ACCETTAZIONE', new Date(start.getTime() - 1)); // yesterday, Rome time
    await event('NON_ACCETTAZIONE', now);
    await event('AVVENUTA_CONSEGNA_SENT', now);
    await event('AVVENUTA_CONSEGNA_SENT', now);
    await event('AVVENUTA_CONSEGNA_SENT', now);
    await event('MANCATA_CONSEGNA_SENT', now);
    await event('TIMEOUT_SENT', now);
    await event('ANOMALIA', now);
    await event('ANOMALIA', new Date(start.getTime() - 1));

    await mkdir(spoolDir, { recursive: true });
    for (const name of ['a.json', 'a.eml', 'b.json', 'b.eml', 'c.json.tmp']) await writeFile(path.join(spoolDir, name), '{}');

    state = await readMtaState(db.prisma, { timeZone, spoolDir, now });
  });

  test('queue: unsettled certified recipients and unrelayed ones, plus spool envelopes', () => {
    // r2 (relayed, silent), r4 (not relayed), r5 (taken in charge); r3 ordinary and relayed is done
    assert.deepEqual(state.queue, { recipientsPending: 3, spoolEntries: 2, total: 5 });
  });

  test("today's figures count the local day only", () => {
    assert.equal(state.today.accepted, 2);
    assert.equal(state.today.refused, 1);
    assert.equal(state.today.delivered, 3);
    assert.equal(state.today.failed, 2);
    assert.equal(state.today.anomalies, 1);
    assert.equal(state.today.events.RECEIVED, 0);
  });

  test('overdue receipts: only r2 is past the 12 h and 24 h deadlines', () => {
    assert.deepEqual(state.overdue, { past12h: 1, past24h: 1 });
  });

  test('no active signing certificate: null, and no expiry metric', async () => {
    assert.equal(state.signingCertificate, null);
    assert.ok(!mtaStateMetrics(state).toString().includes('pec_signing_certificate_days_left'));
  });

  test('an unreadable spool folder is left out, not counted as zero', async () => {
    const noSpool = await readMtaState(db.prisma, { timeZone, spoolDir: path.join(tmp, 'missing'), now });
    assert.equal(noSpool.queue.spoolEntries, null);
    assert.equal(noSpool.queue.total, 3);
    assert.ok(!mtaStateMetrics(noSpool).toString().includes('pec_spool_entries'));
  });

  test('days until the active signing certificate expires', async () => {
    const { material } = await createTestSigningCertificate({
      dataDir: tmp,
      serviceAddress: 'posta-certificata@pec.localhost.test',
      providerName: 'Demo PEC Provider',
      validDays: 30,
    });
    await importSigningCertificate(db.prisma, material, { serviceAddress: 'posta-certificata@pec.localhost.test' });
    const row = await db.prisma.providerCertificate.findFirstOrThrow({ where: { active: true } });
    const withCert = await readMtaState(db.prisma, { timeZone, now });
    assert.ok(withCert.signingCertificate);
    assert.equal(withCert.signingCertificate.daysLeft, Math.floor((row.notAfter.getTime() - now.getTime()) / 86_400_000));
    assert.ok(withCert.signingCertificate.daysLeft >= 29 && withCert.signingCertificate.daysLeft <= 30);
    const ten = await readMtaState(db.prisma, { timeZone, now: new Date(row.notAfter.getTime() - 10.5 * 86_400_000) });
    assert.equal(ten.signingCertificate?.daysLeft, 10);
  });

  test('Prometheus text carries every figure', () => {
    const samples = parsePrometheus(mtaStateMetrics(state).toString());
    assert.equal(samples.get('pec_queue_size'), 5);
    assert.equal(samples.get('pec_spool_entries'), 2);
    assert.equal(samples.get('pec_messages_accepted_today'), 2);
    assert.equal(samples.get('pec_messages_delivered_today'), 3);
    assert.equal(samples.get('pec_messages_failed_today'), 2);
    assert.equal(samples.get('pec_anomalies_today'), 1);
    assert.equal(samples.get('pec_events_today{event="avvenuta_consegna_sent"}'), 3);
    assert.equal(samples.get('pec_receipts_overdue{deadline="12h"}'), 1);
    assert.equal(samples.get('pec_receipts_overdue{deadline="24h"}'), 1);
    // what the bench and the status test read back: the same samples, without the format checks
    assert.deepEqual(readSamples(mtaStateMetrics(state).toString()), samples);
  });

  test('only the provider admin reads the state through the permission layer', async () => {
    const roles: Actor['role'][] = ['PROVIDER_ADMIN', 'RESELLER_ADMIN', 'COMPANY_ADMIN', 'AUDITOR', 'MAILBOX_HOLDER'];
    for (const role of roles) {
      const seen = await readMtaStateFor({ role }, db.prisma, { timeZone, now });
      assert.equal(seen !== null, role === 'PROVIDER_ADMIN', role);
    }
  });
});

describe('/api/metrics', () => {
  before(() => {
    // the route reads the process configuration once: point it at this database and spool
    process.env.METRICS_TOKEN = token;
    process.env.MTA_SPOOL_DIR = spoolDir;
    setDatabaseUrl(db.url);
  });

  const get = async (headers: Record<string, string>) => {
    const { GET } = await import('@/app/api/metrics/route');
    return GET(new Request('http://127.0.0.1:3000/api/metrics', { headers }));
  };

  test('loopback scraper gets the Prometheus text', async () => {
    const res = await get({ 'x-forwarded-for': '127.0.0.1' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const samples = parsePrometheus(await res.text());
    assert.equal(samples.get('pec_queue_recipients_pending'), 3);
    assert.equal(samples.get('pec_spool_entries'), 2);
    assert.ok((samples.get('pec_signing_certificate_days_left') ?? -1) >= 29);
  });

  test('a remote client needs the bearer token', async () => {
    assert.equal((await get({ 'x-forwarded-for': '203.0.113.7' })).status, 404);
    assert.equal((await get({ 'x-forwarded-for': '203.0.113.7', authorization: 'Bearer wrong-token-wrong-token' })).status, 404);
    assert.equal((await get({ 'x-forwarded-for': '203.0.113.7', authorization: `Bearer ${token}` })).status, 200);
    // a forged loopback entry in front of a proxy's hop does not pass
    assert.equal((await get({ 'x-forwarded-for': '127.0.0.1, 203.0.113.7' })).status, 404);
  });

  test('access rule', () => {
    const h = (o: Record<string, string>) => new Headers(o);
    assert.equal(metricsAccess(h({ 'x-forwarded-for': '::1' }), undefined), 'loopback');
    assert.equal(metricsAccess(h({ 'x-forwarded-for': '::ffff:127.0.0.1' }), undefined), 'loopback');
    assert.equal(metricsAccess(h({}), undefined), 'denied');
    assert.equal(metricsAccess(h({ 'x-forwarded-for': '127.0.0.1', 'x-real-ip': '198.51.100.1' }), undefined), 'denied');
    assert.equal(metricsAccess(h({ authorization: `Bearer ${token}` }), undefined), 'denied');
    assert.equal(metricsAccess(h({ authorization: `bearer ${token}` }), token), 'token');
  });
});

describe('MTA status server', () => {
  test('serves its counters and the database state on loopback; /health; 404 elsewhere', async () => {
    const counters = new MtaCounters();
    const counted = countingLog(log, counters);
    await counted.write({ type: 'ACCETTAZIONE', identificativo: 'C@pec.localhost.test', outcome: 'OK' });
    const server = await startMtaStatusServer({
      host: '127.0.0.1',
      port: 0,
      counters,
      token,
      readState: () => readMtaState(db.prisma, { timeZone, spoolDir }),
    });
    try {
      const res = await fetch(`${server.url}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
      // the socket is loopback: a forwarded header cannot make it remote (or local) here
      assert.equal(res.status, 200);
      const samples = parsePrometheus(await res.text());
      assert.equal(samples.get('pec_mta_messages_accepted_total'), 1);
      assert.equal(samples.get('pec_mta_state_up'), 1);
      // the counted event went to the database too: today's accepted figure includes it
      assert.equal(samples.get('pec_messages_accepted_today'), 3);
      assert.equal(samples.get('pec_mta_signing_seconds_count'), 0);
      assert.equal((await fetch(`${server.url}/health`)).status, 200);
      assert.equal((await fetch(`${server.url}/other`)).status, 404);
    } finally {
      await server.close();
    }
  });

  test('a state read that fails (here: an invalid clock) leaves the counters up, state_up 0', async () => {
    const server = await startMtaStatusServer({
      host: '127.0.0.1',
      port: 0,
      counters: new MtaCounters(),
      readState: () => readMtaState(db.prisma, { timeZone, now: new Date('invalid') }),
    });
    try {
      const samples = parsePrometheus(await (await fetch(`${server.url}/metrics`)).text());
      assert.equal(samples.get('pec_mta_state_up'), 0);
      assert.equal(samples.get('pec_mta_messages_accepted_total'), 0);
    } finally {
      await server.close();
    }
  });
});
