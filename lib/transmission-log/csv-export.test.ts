import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ensureTransmissionLogPartitions } from '@/lib/db';
import { startTestDatabase, type TestDatabase } from '@/lib/db/testing';
import { hashPassword } from '@/lib/passwords';
import type { LogScope } from '@/lib/queries/transmission-log';
import { parseCsv } from './testing';
import { createLogCsvStream, csvHeadings } from './csv-export';
import { logScopeForActor } from './scope';

// provider → reseller → company X (own domain pec.x.it + a mailbox on the shared domain);
// company Y directly under the provider.
let db: TestDatabase;
let providerId: string;
let resellerId: string;
let xId: string;
let yId: string;
let xSharedMailboxId: string;
let sharedName: string;
const from = new Date('2026-07-01T00:00:00Z');
const to = new Date('2026-09-01T00:00:00Z');
const rowsPerMonth = 60;

/** The whole stream as text, keeping the BOM (Response.text() would drop it). */
async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(await new Response(stream).arrayBuffer());
}

before(async () => {
  db = await startTestDatabase({ seed: true });
  const p = db.prisma;
  await ensureTransmissionLogPartitions({ from, monthsAhead: 2 }, p);
  const provider = await p.organization.findFirstOrThrow({ where: { kind: 'PROVIDER' }, include: { domains: true } });
  providerId = provider.id;
  const shared = provider.domains[0];
  sharedName = shared.name;
  resellerId = (await p.organization.create({ data: { kind: 'RESELLER', name: 'Rivenditore', parentId: providerId } })).id;
  xId = (await p.organization.create({ data: { kind: 'COMPANY', name: 'X Srl', parentId: resellerId } })).id;
  yId = (await p.organization.create({ data: { kind: 'COMPANY', name: 'Y SpA', parentId: providerId } })).id;
  const xDomain = await p.domain.create({ data: { name: 'pec.x.it', kind: 'COMPANY', organizationId: xId } });
  await p.domain.create({ data: { name: 'pec.y.it', kind: 'COMPANY', organizationId: yId } });
  const passwordHash = await hashPassword('Unused-password-1');
  const mailbox = (address: string, domainId: string, organizationId: string) =>
    p.mailbox.create({
      data: {
        address,
        localPart: address.split('@')[0],
        domainId,
        organizationId,
        holderType: 'LEGAL_PERSON',
        holderName: address,
        quotaBytes: 1n << 30n,
        expiresAt: new Date('2030-01-01T00:00:00Z'),
        passwordHash,
      },
    });
  await mailbox('ufficio@pec.x.it', xDomain.id, xId);
  xSharedMailboxId = (await mailbox(`x.srl@${shared.name}`, shared.id, xId)).id;
  await mailbox(`y.spa@${shared.name}`, shared.id, yId);

  const pairs: [string, string][] = [
    ['ufficio@pec.x.it', 'protocollo@pec.comune.it'],
    [`x.srl@${shared.name}`, 'info@pec.y.it'],
    ['info@pec.y.it', 'ditta@pec.altro.it'],
    [`y.spa@${shared.name}`, 'ditta@pec.altro.it'],
  ];
  const data = [];
  for (let m = 0; m < 2; m++)
    for (let i = 0; i < rowsPerMonth; i++) {
      const [sender, recipient] = pairs[i % pairs.length];
      data.push({
        occurredAt: new Date(Date.UTC(2026, 6 + m, 1 + (i % 28), i % 24, i)),
        eventType: i % 3 === 0 ? 'ACCETTAZIONE' : 'AVVENUTA_CONSEGNA',
        identificativo: `opec.${m}.${i}@${shared.name}`,
        // a hostile Message-ID: separators, quotes, a line break, a formula
        originalMessageId: i === 5 ? '=cmd|\' /C calc\'!A0,"x"\r\n<y>' : `<m${m}.${i}@client.example>`,
        sender,
        recipient,
        outcome: 'OK',
        details: i === 8 ? { note: 'ritardo, "gestore" lento' } : undefined,
      });
    }
  await p.transmissionLog.createMany({ data });
});
after(async () => {
  await db?.stop();
});

test('scopes resolved from the organization tree: subtree domains plus its mailboxes on domains it does not own', async () => {
  const auditorOf = (organizationId: string, scope: 'all' | string[]) =>
    logScopeForActor({ role: 'AUDITOR', scope, mailboxId: null }, db.prisma);
  assert.deepEqual(await auditorOf(providerId, 'all'), { all: true });
  const x = await auditorOf(xId, [xId]);
  assert.deepEqual(x, { all: false, domains: ['pec.x.it'], addresses: [`x.srl@${sharedName}`] });
  const reseller = await auditorOf(resellerId, [resellerId, xId]);
  assert.deepEqual(reseller, x);
  const holder = await logScopeForActor({ role: 'MAILBOX_HOLDER', scope: [], mailboxId: xSharedMailboxId }, db.prisma);
  assert.deepEqual(holder, { all: false, domains: [], addresses: [`x.srl@${sharedName}`] });
  assert.deepEqual(await logScopeForActor({ role: 'MAILBOX_HOLDER', scope: [], mailboxId: null }, db.prisma), {
    all: false,
    domains: [],
    addresses: [],
  });
});

test("an export for X's auditor holds exactly X's rows, escaped, and reads back cell for cell", async () => {
  const scope = await logScopeForActor({ role: 'AUDITOR', scope: [xId], mailboxId: null }, db.prisma);
  const text = await readAll(createLogCsvStream({ from, to }, scope, { pageSize: 7 }, db.prisma));
  assert.ok(text.startsWith('\uFEFF'));
  const records = parseCsv(text.slice(1));
  assert.deepEqual(records[0], [...csvHeadings.it]);
  const body = records.slice(1);
  // pairs 0 and 1 of every 4 involve X
  assert.equal(body.length, rowsPerMonth);
  for (const r of body) assert.ok(r[5] === 'ufficio@pec.x.it' || r[5].startsWith('x.srl@'), JSON.stringify(r));
  // newest first, no duplicates
  const times = body.map((r) => r[0]);
  assert.deepEqual(times, [...times].sort().reverse());
  const hostile = body.find((r) => r[4].includes('calc'));
  assert.deepEqual(hostile?.[4], `'=cmd|' /C calc'!A0,"x"\r\n<y>`);
  const detailed = body.find((r) => r[8] !== '');
  assert.deepEqual(JSON.parse(detailed![8]), { note: 'ritardo, "gestore" lento' });
  // English headings on request
  const en = await readAll(createLogCsvStream({ from, to }, scope, { language: 'en', maxRows: 1 }, db.prisma));
  assert.deepEqual(parseCsv(en.slice(1))[0], [...csvHeadings.en]);
});

test('the stream reads the database only as fast as it is consumed, one page at a time', async () => {
  const pages: number[] = [];
  const all: LogScope = { all: true };
  const stream = createLogCsvStream({ from, to }, all, { pageSize: 10, onRows: (n) => pages.push(n) }, db.prisma);
  const reader = stream.getReader();
  const first = await reader.read(); // the heading
  assert.ok(first.value && new TextDecoder().decode(first.value).includes('data_ora_utc'));
  const second = await reader.read();
  assert.equal(parseCsv(new TextDecoder().decode(second.value)).length, 10);
  await new Promise((r) => setTimeout(r, 50));
  // one page read for the consumer, at most one more queued ahead — not all 12
  assert.ok(pages.length <= 2, `pages read: ${pages.length}`);
  let rows = 10;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    rows += parseCsv(new TextDecoder().decode(value)).length;
  }
  assert.equal(rows, rowsPerMonth * 2);
  assert.equal(pages.reduce((a, b) => a + b, 0), rowsPerMonth * 2);
});

test('cancelling the download stops the reads', async () => {
  let read = 0;
  const stream = createLogCsvStream({ from, to }, { all: true }, { pageSize: 5, onRows: (n) => (read += n) }, db.prisma);
  const reader = stream.getReader();
  await reader.read();
  await reader.read();
  await reader.cancel();
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(read <= 10, `rows read after cancel: ${read}`);
});
