import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeLogCursor } from '@/lib/queries/transmission-log';
import { eventKindOf, eventKinds, parseLogSearch, romeDay, romeDayStart, searchQuery } from './search-params';

const now = new Date('2026-11-24T10:00:00Z');

test('Italian calendar days map to Rome midnights, summer and winter time alike', () => {
  assert.equal(romeDayStart('2026-07-01')?.toISOString(), '2026-06-30T22:00:00.000Z');
  assert.equal(romeDayStart('2026-01-15')?.toISOString(), '2026-01-14T23:00:00.000Z');
  // the days DST starts and ends
  assert.equal(romeDayStart('2026-03-29')?.toISOString(), '2026-03-28T23:00:00.000Z');
  assert.equal(romeDayStart('2026-10-25')?.toISOString(), '2026-10-24T22:00:00.000Z');
  assert.equal(romeDayStart('2026-02-30'), undefined);
  assert.equal(romeDayStart('24/11/2026'), undefined);
  assert.equal(romeDay(new Date('2026-06-30T22:30:00Z')), '2026-07-01');
});

test('no parameters: the last 30 days up to the end of today, every kind of event', () => {
  const p = parseLogSearch({}, now);
  assert.deepEqual(p.errors, {});
  assert.equal(p.values.from, '2026-10-26');
  assert.equal(p.values.to, '2026-11-24');
  assert.equal(p.filters?.from.toISOString(), '2026-10-25T23:00:00.000Z');
  assert.equal(p.filters?.to.toISOString(), '2026-11-24T23:00:00.000Z');
  assert.equal(p.filters?.eventTypes, undefined);
});

test('filters pass through, the kind expands to its event types, cursors decode', () => {
  const cursor = encodeLogCursor({ occurredAt: new Date('2026-11-01T00:00:00Z'), id: 42n });
  const p = parseLogSearch(
    new URLSearchParams({
      from: '2026-11-01',
      to: '2026-11-02',
      sender: 'a@pec.x.it',
      recipient: 'b@pec.y.it',
      messageId: '<m@x>',
      kind: 'consegna',
      outcome: 'OK',
      domain: 'pec.x.it',
      after: cursor,
    }),
    now,
  );
  assert.deepEqual(p.errors, {});
  assert.deepEqual(p.filters?.eventTypes, eventKinds.consegna);
  assert.equal(p.filters?.sender, 'a@pec.x.it');
  assert.equal(p.filters?.domain, 'pec.x.it');
  assert.equal(p.after?.id, 42n);
  assert.equal(p.before, undefined);
  assert.equal(
    searchQuery(p.values, { after: 'x' }),
    'from=2026-11-01&to=2026-11-02&sender=a%40pec.x.it&recipient=b%40pec.y.it&messageId=%3Cm%40x%3E&kind=consegna&outcome=OK&domain=pec.x.it&after=x',
  );
});

test('every wrong field gets its own message and no search runs', () => {
  const p = parseLogSearch(
    { from: '2026-13-01', to: 'ieri', sender: 'nobody', recipient: 'a b@c.it', domain: 'not a domain', kind: 'x', outcome: 'maybe', messageId: 'a b' },
    now,
  );
  assert.equal(p.filters, undefined);
  assert.deepEqual(p.errors, {
    from: 'logs.errors.date',
    to: 'logs.errors.date',
    sender: 'logs.errors.address',
    recipient: 'logs.errors.address',
    domain: 'logs.errors.domain',
    kind: 'logs.errors.choice',
    outcome: 'logs.errors.choice',
    messageId: 'logs.errors.messageId',
  });
});

test('ranges: reversed, and longer than 30 months, are refused; exactly 30 months is fine', () => {
  assert.deepEqual(parseLogSearch({ from: '2026-11-02', to: '2026-11-01' }, now).errors, { to: 'logs.errors.order' });
  assert.deepEqual(parseLogSearch({ from: '2024-05-24', to: '2026-11-24' }, now).errors, { from: 'logs.errors.tooLong' });
  const ok = parseLogSearch({ from: '2024-05-25', to: '2026-11-24' }, now);
  assert.deepEqual(ok.errors, {});
  assert.ok(ok.filters);
});

test('every event type of a kind maps back to that kind', () => {
  for (const [kind, types] of Object.entries(eventKinds)) for (const type of types) assert.equal(eventKindOf(type), kind);
  assert.equal(eventKindOf('RECEIPT_DELIVERED'), undefined);
});
