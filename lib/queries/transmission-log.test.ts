import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { dropTransmissionLogPartitionsOlderThan, ensureTransmissionLogPartitions } from '@/lib/db';
import { startTestDatabase, type TestDatabase } from '@/lib/db/testing';
import {
  checkSearchRange,
  decodeLogCursor,
  encodeLogCursor,
  explainSearch,
  iterateTransmissionLog,
  LogSearchError,
  maxExplicitWalks,
  messageMonthRange,
  searchTransmissionLog,
  type LogCursor,
  type LogEntry,
  type LogScope,
  type LogSearchFilters,
} from './transmission-log';

// Two customer companies X and Y, each with its own domain and one mailbox on the provider's
// shared domain, writing to each other and to other providers over three months.
const shared = 'pec.provider.it';
const xAddresses = ['ufficio@pec.x.it', 'legale@pec.x.it', `mario.x@${shared}`];
const yAddresses = ['info@pec.y.it', `anna.y@${shared}`];
const external = ['protocollo@pec.comune.it', 'ditta@pec.altro.it'];
const scopeX: LogScope = { all: false, domains: ['pec.x.it'], addresses: [`mario.x@${shared}`] };
const scopeY: LogScope = { all: false, domains: ['pec.y.it'], addresses: [`anna.y@${shared}`] };
const all: LogScope = { all: true };

interface Row {
  occurredAt: Date;
  eventType: string;
  identificativo: string;
  originalMessageId: string;
  sender: string;
  recipient: string | null;
  outcome: string;
}

const month = (m: number) => new Date(Date.UTC(2026, m, 1));
const from = month(5); // June 2026
const to = month(8); // September 2026 (exclusive): June, July, August

let db: TestDatabase;
let rows: (Row & { id: bigint })[] = [];

/** The reference answer: every row matching in plain JavaScript, newest first. */
function expected(filter: (r: Row) => boolean): bigint[] {
  return rows
    .filter(filter)
    .sort((a, b) => b.occurredAt.getTime() - a.occurredAt.getTime() || (a.id < b.id ? 1 : -1))
    .map((r) => r.id);
}

const domainOf = (a: string | null) => (a ? a.split('@')[1] : undefined);
function inScope(scope: LogScope, r: Row): boolean {
  if (scope.all) return true;
  return [r.sender, r.recipient].some(
    (a) => a !== null && (scope.domains.includes(domainOf(a)!) || scope.addresses.includes(a)),
  );
}

async function allPages(filters: LogSearchFilters, scope: LogScope, limit: number): Promise<LogEntry[][]> {
  const pages: LogEntry[][] = [];
  let after: LogCursor | undefined;
  for (;;) {
    const page = await searchTransmissionLog(filters, scope, { limit, after }, db.prisma);
    pages.push(page.entries);
    if (!page.older) return pages;
    after = page.older;
  }
}

before(async () => {
  db = await startTestDatabase();
  await ensureTransmissionLogPartitions({ from: month(4), monthsAhead: 5 }, db.prisma);
  const everyone = [...xAddresses, ...yAddresses, ...external];
  const data: Row[] = [];
  // deterministic pseudo-random spread; several rows share a timestamp to exercise the id tie-break
  let seed = 7;
  const next = () => (seed = (seed * 48271) % 2147483647);
  for (let n = 0; n < 160; n++) {
    const sender = [...xAddresses, ...yAddresses][next() % 5];
    let recipient = everyone[next() % everyone.length];
    if (recipient === sender) recipient = external[0];
    const at = new Date(from.getTime() + Math.floor((next() / 2147483647) * (to.getTime() - from.getTime() - 3_600_000)));
    if (n % 10 === 0) at.setTime(Math.floor(at.getTime() / 60_000) * 60_000);
    const ident = `opec210.${n}@${shared}`;
    const omid = `<msg-${n}@client.example>`;
    data.push({ occurredAt: at, eventType: 'ACCETTAZIONE', identificativo: ident, originalMessageId: omid, sender, recipient: null, outcome: 'OK' });
    data.push({ occurredAt: at, eventType: 'RELAYED', identificativo: ident, originalMessageId: omid, sender, recipient, outcome: 'OK' });
    const failed = n % 9 === 0;
    data.push({
      occurredAt: new Date(at.getTime() + 5_000),
      eventType: failed ? 'ERRORE_CONSEGNA' : 'AVVENUTA_CONSEGNA',
      identificativo: ident,
      originalMessageId: omid,
      sender,
      recipient,
      outcome: failed ? 'ERROR' : 'OK',
    });
  }
  await db.prisma.transmissionLog.createMany({ data });
  const stored = await db.prisma.transmissionLog.findMany();
  rows = stored.map((r) => ({
    id: r.id,
    occurredAt: r.occurredAt,
    eventType: r.eventType,
    identificativo: r.identificativo!,
    originalMessageId: r.originalMessageId!,
    sender: r.sender!,
    recipient: r.recipient,
    outcome: r.outcome!,
  }));
  const [{ n }] = await db.prisma.$queryRaw<{ n: bigint }[]>`
    SELECT count(DISTINCT tableoid) AS n FROM transmission_log`;
  assert.equal(Number(n), 3, 'the fixture spans three monthly partitions');
});
after(async () => {
  await db?.stop();
});

describe('time range', () => {
  test('up to 30 months is accepted, longer or reversed is refused with a code', () => {
    checkSearchRange(new Date('2024-05-24T00:00:00Z'), new Date('2026-11-24T00:00:00Z'));
    const code = (f: () => void) => {
      try {
        f();
      } catch (err) {
        assert.ok(err instanceof LogSearchError);
        return err.code;
      }
      return 'none';
    };
    assert.equal(code(() => checkSearchRange(new Date('2024-05-24T00:00:00Z'), new Date('2026-11-24T01:00:01Z'))), 'range.tooLong');
    assert.equal(code(() => checkSearchRange(to, from)), 'range.order');
    assert.equal(code(() => checkSearchRange(new Date('x'), to)), 'range.missing');
  });

  test('only rows inside [from, to) come back', async () => {
    const mid = new Date(Date.UTC(2026, 6, 15));
    const got = (await allPages({ from: mid, to }, all, 500)).flat().map((e) => e.id);
    assert.deepEqual(got, expected((r) => r.occurredAt >= mid && r.occurredAt < to));
  });
});

describe('filters', () => {
  const cases: [string, LogSearchFilters, (r: Row) => boolean][] = [
    ['sender (any case)', { from, to, sender: ' Legale@PEC.x.it ' }, (r) => r.sender === 'legale@pec.x.it'],
    ['recipient', { from, to, recipient: external[1] }, (r) => r.recipient === external[1]],
    ['identificativo', { from, to, messageId: `opec210.12@${shared}` }, (r) => r.identificativo === `opec210.12@${shared}`],
    ['Message-ID without brackets', { from, to, messageId: 'msg-33@client.example' }, (r) => r.originalMessageId === '<msg-33@client.example>'],
    ['event kinds', { from, to, eventTypes: ['ERRORE_CONSEGNA', 'ACCETTAZIONE'] }, (r) => ['ERRORE_CONSEGNA', 'ACCETTAZIONE'].includes(r.eventType)],
    ['outcome', { from, to, outcome: 'ERROR' }, (r) => r.outcome === 'ERROR'],
    ['domain, sender or recipient side', { from, to, domain: 'PEC.Y.it' }, (r) => domainOf(r.sender) === 'pec.y.it' || domainOf(r.recipient) === 'pec.y.it'],
    ['domain + kind', { from, to, domain: 'pec.altro.it', eventTypes: ['AVVENUTA_CONSEGNA'] }, (r) => domainOf(r.recipient) === 'pec.altro.it' && r.eventType === 'AVVENUTA_CONSEGNA'],
    ['sender + outcome', { from, to, sender: yAddresses[0], outcome: 'OK' }, (r) => r.sender === yAddresses[0] && r.outcome === 'OK'],
  ];
  for (const [name, filters, match] of cases) {
    test(name, async () => {
      const want = expected(match);
      assert.ok(want.length > 0, 'the fixture has matching rows');
      const got = (await allPages(filters, all, 1000)).flat().map((e) => e.id);
      assert.deepEqual(got, want);
    });
  }
});

describe('scope', () => {
  test("an auditor of X sees exactly X's rows (own domain and its mailbox on the shared domain), never Y's", async () => {
    const got = (await allPages({ from, to }, scopeX, 1000)).flat();
    assert.deepEqual(got.map((e) => e.id), expected((r) => inScope(scopeX, r)));
    for (const e of got) {
      const involved = [e.sender, e.recipient].filter(Boolean) as string[];
      assert.ok(involved.some((a) => xAddresses.includes(a)), `row ${e.id} (${involved.join(' → ')}) is not X's`);
    }
    // Y's mail with other providers exists, and X never gets it
    const ysOwn = expected((r) => inScope(scopeY, r) && !inScope(scopeX, r));
    assert.ok(ysOwn.length > 0);
    const seen = new Set(got.map((e) => e.id));
    assert.ok(ysOwn.every((id) => !seen.has(id)));
  });

  test("X's auditor filtering by Y's domain or a Y sender sees only the mail between X and Y", async () => {
    const byDomain = (await allPages({ from, to, domain: 'pec.y.it' }, scopeX, 1000)).flat().map((e) => e.id);
    assert.deepEqual(byDomain, expected((r) => inScope(scopeX, r) && [r.sender, r.recipient].some((a) => domainOf(a) === 'pec.y.it')));
    const bySender = (await allPages({ from, to, sender: yAddresses[1] }, scopeX, 1000)).flat();
    assert.ok(bySender.every((e) => e.recipient !== null && xAddresses.includes(e.recipient)));
    const byMessage = await searchTransmissionLog({ from, to, messageId: rows.find((r) => !inScope(scopeX, r))!.identificativo }, scopeX, {}, db.prisma);
    assert.deepEqual(byMessage.entries.filter((e) => !inScope(scopeX, e as Row)), []);
  });

  test('a scope too large for one branch per value (LATERAL walks) gives the same rows and pages', async () => {
    const many: LogScope = {
      all: false,
      domains: ['pec.x.it', ...Array.from({ length: maxExplicitWalks }, (_, i) => `pec.other${i}.it`)],
      addresses: [`mario.x@${shared}`],
    };
    const pages = await allPages({ from, to }, many, 9);
    assert.deepEqual(pages.flat().map((e) => e.id), expected((r) => inScope(scopeX, r)));
  });

  test('a holder sees only rows with its own address; an empty scope sees nothing', async () => {
    const holder: LogScope = { all: false, domains: [], addresses: [yAddresses[1]] };
    const got = (await allPages({ from, to }, holder, 1000)).flat().map((e) => e.id);
    assert.deepEqual(got, expected((r) => r.sender === yAddresses[1] || r.recipient === yAddresses[1]));
    const none = await searchTransmissionLog({ from, to }, { all: false, domains: [], addresses: [] }, {}, db.prisma);
    assert.deepEqual(none.entries, []);
  });
});

describe('keyset pagination', () => {
  for (const [name, filters, scope] of [
    ['whole log (primary key walk)', { from, to }, all],
    ['auditor scope (merged domain/address walks)', { from, to }, scopeX],
    ['sender filter', { from, to, sender: xAddresses[0] }, all],
  ] as [string, LogSearchFilters, LogScope][]) {
    test(`${name}: small pages forward then backward give every row once, in order, across months`, async () => {
      const want = expected((r) => inScope(scope, r) && (!filters.sender || r.sender === filters.sender));
      const pages = await allPages(filters, scope, 7);
      assert.deepEqual(pages.flat().map((e) => e.id), want);
      assert.ok(pages.length > 3);
      assert.ok(pages.slice(0, -1).every((p) => p.length === 7));
      // from the last page, "previous" walks back to the first page exactly
      const back: LogEntry[][] = [pages[pages.length - 1]];
      let before = keyOfFirst(back[0]);
      for (;;) {
        const page = await searchTransmissionLog(filters, scope, { limit: 7, before }, db.prisma);
        back.unshift(page.entries);
        if (!page.newer) break;
        before = page.newer;
      }
      assert.deepEqual(back.flat().map((e) => e.id), want);
      // the first page reached backwards is the same as the first page forwards
      assert.deepEqual(back[0].map((e) => e.id), pages[0].map((e) => e.id));
    });
  }

  test('rows sharing one timestamp are split by id without loss at a page boundary', async () => {
    const t = new Date(Date.UTC(2026, 6, 31, 23, 59, 0));
    const extra = Array.from({ length: 5 }, (_, i) => ({
      occurredAt: t,
      eventType: 'ACCETTAZIONE',
      identificativo: `tie-${i}@${shared}`,
      sender: 'tie@pec.tie.it',
      outcome: 'OK',
    }));
    await db.prisma.transmissionLog.createMany({ data: extra });
    const pages = await allPages({ from, to, sender: 'tie@pec.tie.it' }, all, 2);
    assert.deepEqual(pages.map((p) => p.length), [2, 2, 1]);
    assert.equal(new Set(pages.flat().map((e) => e.id)).size, 5);
    await db.prisma.transmissionLog.deleteMany({ where: { sender: 'tie@pec.tie.it' } });
  });

  test('cursor tokens round-trip and garbage is refused', () => {
    const c = { occurredAt: new Date('2026-07-01T10:00:00.123Z'), id: 9007199254740993n };
    assert.deepEqual(decodeLogCursor(encodeLogCursor(c)), c);
    assert.equal(decodeLogCursor('bm9wZQ'), undefined);
    assert.equal(decodeLogCursor(''), undefined);
  });

  test('iterateTransmissionLog reads everything page by page', async () => {
    let count = 0;
    let pages = 0;
    for await (const page of iterateTransmissionLog({ from, to }, scopeY, { pageSize: 10 }, db.prisma)) {
      count += page.length;
      pages++;
    }
    assert.equal(count, expected((r) => inScope(scopeY, r)).length);
    assert.equal(pages, Math.ceil(count / 10));
  });
});

function keyOfFirst(page: LogEntry[]): LogCursor {
  return { occurredAt: page[0].occurredAt, id: page[0].id };
}

describe('plans', () => {
  test('a one-month search reads only that month; the domain and scope walks read the domain indexes in order', async () => {
    await db.prisma.$executeRawUnsafe('ANALYZE transmission_log');
    const july = await explainSearch({ from: month(6), to: month(7), sender: xAddresses[0] }, all, db.prisma);
    assert.match(july, /transmission_log_y2026m07/);
    assert.doesNotMatch(july, /transmission_log_y2026m0[68]|transmission_log_default/);
    // with few rows the planner may prefer a plain scan; forbid it to see that the indexes serve
    await db.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe('SET LOCAL enable_seqscan = off');
      const domain = await explainSearch({ from, to, domain: 'pec.x.it' }, all, tx as typeof db.prisma);
      assert.match(domain, /sender_domain_idx|lower_occurred_at_id_idx/);
      const scoped = await explainSearch({ from, to }, scopeX, tx as typeof db.prisma);
      assert.match(scoped, /lower_occurred_at_id_idx/);
      // each walk is read in key order and merged: no sort of everything the scope holds
      assert.match(scoped, /Merge Append/);
      assert.match(scoped, /Index Scan Backward/);
    });
  });
});

describe('message id: the month lookup', () => {
  // a message accepted on the last second of July whose consegna is logged in August
  const ident = `opec210.straddle@${shared}`;
  const omid = '<straddle@client.example>';
  const at = new Date(Date.UTC(2026, 6, 31, 23, 59, 59));
  before(async () => {
    await db.prisma.transmissionLog.createMany({
      data: [
        { occurredAt: at, eventType: 'ACCETTAZIONE', identificativo: ident, originalMessageId: omid, sender: xAddresses[0], outcome: 'OK' },
        { occurredAt: new Date(at.getTime() + 6_000), eventType: 'AVVENUTA_CONSEGNA', identificativo: ident, originalMessageId: omid, sender: xAddresses[0], recipient: external[0], outcome: 'OK' },
      ],
    });
  });

  test('the insert trigger notes each reference once per month, without brackets', async () => {
    const noted = await db.prisma.$queryRaw<{ message_ref: string; month_start: Date }[]>`
      SELECT message_ref, month_start FROM log_index.message_months
       WHERE message_ref IN ('opec210.straddle@pec.provider.it', 'straddle@client.example') ORDER BY 1, 2`;
    assert.deepEqual(
      noted.map((r) => [r.message_ref, r.month_start.toISOString()]),
      [
        [ident, '2026-07-01T00:00:00.000Z'],
        [ident, '2026-08-01T00:00:00.000Z'],
        ['straddle@client.example', '2026-07-01T00:00:00.000Z'],
        ['straddle@client.example', '2026-08-01T00:00:00.000Z'],
      ],
    );
  });

  test('a search by either reference reads only the months holding it and finds every event', async () => {
    for (const ref of [ident, `<${ident}>`, omid, 'straddle@client.example']) {
      const page = await searchTransmissionLog({ from, to, messageId: ref }, all, {}, db.prisma);
      assert.deepEqual(page.entries.map((e) => e.eventType), ['AVVENUTA_CONSEGNA', 'ACCETTAZIONE'], ref);
      const plan = await explainSearch({ from, to, messageId: ref }, all, db.prisma);
      assert.match(plan, /transmission_log_y2026m07/);
      assert.match(plan, /transmission_log_y2026m08/);
      assert.doesNotMatch(plan, /transmission_log_y2026m06|transmission_log_default/, ref);
    }
    // a message of one month plans that month only
    const june = rows.find((r) => r.occurredAt < month(6) && r.occurredAt.getTime() + 10_000 < month(6).getTime())!;
    const plan = await explainSearch({ from, to, messageId: june.identificativo }, all, db.prisma);
    assert.match(plan, /transmission_log_y2026m06/);
    assert.doesNotMatch(plan, /transmission_log_y2026m0[78]/);
  });

  test('the range is cut to the months found, within the one asked for; unknown references find nothing', async () => {
    assert.deepEqual(await messageMonthRange(ident, from, to, db.prisma), { from: month(6), to: month(8) });
    const lateJuly = new Date(Date.UTC(2026, 6, 20));
    const earlyAugust = new Date(Date.UTC(2026, 7, 3));
    assert.deepEqual(await messageMonthRange(omid, lateJuly, earlyAugust, db.prisma), { from: lateJuly, to: earlyAugust });
    // asked for August only: the July event is outside, the August one found
    const aug = await searchTransmissionLog({ from: month(7), to, messageId: omid }, all, {}, db.prisma);
    assert.deepEqual(aug.entries.map((e) => e.eventType), ['AVVENUTA_CONSEGNA']);
    assert.equal(await messageMonthRange('nobody@nowhere.example', from, to, db.prisma), undefined);
    assert.deepEqual((await searchTransmissionLog({ from, to, messageId: 'nobody@nowhere.example' }, all, {}, db.prisma)).entries, []);
    // a month the reference is not in
    assert.equal(await messageMonthRange(ident, from, month(6), db.prisma), undefined);
  });

  test('rows loaded by COPY (as a restore loads them) are noted too: the lookup is not in the backup', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const line = ['2026-06-03 10:00:00+00', 'ACCETTAZIONE', 'restored@pec.provider.it', '<restored@client.example>', 'OK'].join('\t');
      await pipeline(
        Readable.from([`${line}\n`]),
        client.query(copyFrom('COPY transmission_log (occurred_at, event_type, identificativo, original_message_id, outcome) FROM STDIN')),
      );
      const { rows: found } = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM log_index.message_months WHERE message_ref IN ('restored@pec.provider.it', 'restored@client.example')`,
      );
      assert.equal(Number(found[0].n), 2);
      const { rows: listed } = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE '%message_months%'`,
      );
      assert.equal(Number(listed[0].n), 0, 'outside public, which the backup copies table by table');
    } finally {
      await client.end();
    }
    const page = await searchTransmissionLog({ from, to, messageId: 'restored@client.example' }, all, {}, db.prisma);
    assert.deepEqual(page.entries.map((e) => e.identificativo), ['restored@pec.provider.it']);
  });

  test('dropping a month partition forgets its references', async () => {
    const may = new Date(Date.UTC(2026, 4, 10));
    await db.prisma.transmissionLog.create({ data: { occurredAt: may, eventType: 'ACCETTAZIONE', identificativo: 'old@pec.provider.it', outcome: 'OK' } });
    assert.ok(await messageMonthRange('old@pec.provider.it', month(4), to, db.prisma));
    const dropped = await dropTransmissionLogPartitionsOlderThan(month(5), { allowCutoffWithinRetention: true }, db.prisma);
    assert.deepEqual(dropped.map((p) => p.name), ['transmission_log_y2026m05']);
    const [{ n }] = await db.prisma.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM log_index.message_months WHERE month_start < ${month(5)}::timestamptz`;
    assert.equal(Number(n), 0);
  });
});
