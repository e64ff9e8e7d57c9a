import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csvCell, csvRow } from './csv';
import { parseCsv } from './testing';

test('plain cells stay bare; null is empty', () => {
  assert.equal(csvCell('opec210.1@pec.provider.it'), 'opec210.1@pec.provider.it');
  assert.equal(csvCell(null), '');
  assert.equal(csvCell(undefined), '');
  assert.equal(csvCell(''), '');
});

test('separators, quotes and line breaks are quoted, quotes doubled', () => {
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "ciao"'), '"say ""ciao"""');
  assert.equal(csvCell('line1\nline2'), '"line1\nline2"');
  assert.equal(csvCell('cr\rlf'), '"cr\rlf"');
  assert.equal(csvCell('"'), '""""');
});

test('cells a spreadsheet would run as a formula are neutralised', () => {
  assert.equal(csvCell('=HYPERLINK("http://x")'), `"'=HYPERLINK(""http://x"")"`);
  assert.equal(csvCell('+39 06 1234'), "'+39 06 1234");
  assert.equal(csvCell('-1'), "'-1");
  assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvCell('\tx'), "'\tx");
  // not at the start: untouched
  assert.equal(csvCell('a=b'), 'a=b');
});

test('rows end in CRLF and read back to the same cells, accents included', () => {
  const cells = ['2026-07-01T10:00:00.000Z', 'Società "Rossi", Napoli', 'x\r\ny', null, 'città@pec.it', '=1+1'];
  const line = csvRow(cells);
  assert.ok(line.endsWith('\r\n'));
  const [back] = parseCsv(line + csvRow(['next']));
  assert.deepEqual(back, ['2026-07-01T10:00:00.000Z', 'Società "Rossi", Napoli', 'x\r\ny', '', 'città@pec.it', "'=1+1"]);
  assert.deepEqual(parseCsv(line + csvRow(['next']))[1], ['next']);
});
