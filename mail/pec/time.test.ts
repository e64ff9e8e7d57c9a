import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compactLocalTimestamp, localParts, pecLocalTime, pecLocalTimeToIso, rfc5322Date } from './time';

test('Europe/Rome: +0100 in winter, +0200 in summer', () => {
  assert.deepEqual(pecLocalTime(new Date('2024-01-15T09:05:07Z')), { giorno: '15/01/2024', ora: '10:05:07', zona: '+0100' });
  assert.deepEqual(pecLocalTime(new Date('2024-07-31T22:30:00Z')), { giorno: '01/08/2024', ora: '00:30:00', zona: '+0200' });
});

test('DST switch instants (last Sunday of March / October)', () => {
  assert.equal(pecLocalTime(new Date('2024-03-31T00:59:59Z')).zona, '+0100');
  assert.equal(pecLocalTime(new Date('2024-03-31T01:00:00Z')).ora, '03:00:00');
  assert.equal(pecLocalTime(new Date('2024-10-27T00:59:59Z')).ora, '02:59:59');
  assert.deepEqual(pecLocalTime(new Date('2024-10-27T01:00:00Z')), { giorno: '27/10/2024', ora: '02:00:00', zona: '+0100' });
});

test('the same second asked again, in another zone or across a DST switch, gives its own fields', () => {
  // localParts remembers the last second per zone: these alternate zones and revisit seconds.
  const rome = new Date('2024-10-27T00:59:59.200Z');
  assert.equal(pecLocalTime(rome).ora, '02:59:59');
  assert.equal(pecLocalTime(new Date('2024-10-27T00:59:59.900Z')).zona, '+0200');
  assert.equal(pecLocalTime(rome, 'America/New_York').ora, '20:59:59');
  assert.equal(pecLocalTime(new Date('2024-10-27T01:00:00.000Z')).zona, '+0100');
  assert.equal(pecLocalTime(rome).zona, '+0200');
  assert.equal(pecLocalTime(rome, 'America/New_York').zona, '-0400');
  // A caller changing what it got does not change what the next caller gets.
  const parts = localParts(rome, 'Europe/Rome');
  parts.hour = 99;
  assert.equal(localParts(rome, 'Europe/Rome').hour, 2);
});

test('time zone is a parameter', () => {
  assert.deepEqual(pecLocalTime(new Date('2024-01-15T09:05:07Z'), 'UTC'), { giorno: '15/01/2024', ora: '09:05:07', zona: '+0000' });
  assert.equal(pecLocalTime(new Date('2024-01-15T09:05:07Z'), 'America/New_York').zona, '-0500');
  assert.equal(pecLocalTime(new Date('2024-01-15T09:05:07Z'), 'Asia/Kolkata').zona, '+0530');
  assert.throws(() => pecLocalTime(new Date(), 'Nowhere/Atlantis'), RangeError);
});

test('RFC 5322 date and compact timestamp use local time', () => {
  const t = new Date('2018-12-18T16:16:40.900Z');
  assert.equal(rfc5322Date(t), 'Tue, 18 Dec 2018 17:16:40 +0100');
  assert.equal(compactLocalTimestamp(t), '20181218171640');
});

test('giorno/ora/zona to ISO-8601, tolerant of real-world variants', () => {
  assert.equal(pecLocalTimeToIso({ giorno: '14/11/2014', ora: '18:26:32', zona: '+0100' }), '2014-11-14T18:26:32+01:00');
  assert.equal(pecLocalTimeToIso({ giorno: ' 1/7/2019 ', ora: '9:05', zona: '+02:00' }), '2019-07-01T09:05:00+02:00');
  const iso = pecLocalTimeToIso(pecLocalTime(new Date('2024-07-31T22:30:00Z')));
  assert.equal(new Date(iso).toISOString(), '2024-07-31T22:30:00.000Z');
  assert.throws(() => pecLocalTimeToIso({ giorno: '2019-07-01', ora: '09:05:00', zona: '+0200' }), /Invalid PEC date/);
});
