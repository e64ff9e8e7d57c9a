import assert from 'node:assert/strict';
import { test } from 'node:test';
import { base64Lines, encodeWords, escapeHtml, headerLine, isSevenBit, quotedPrintable, quoteString, toCrlf } from './mime-write';
import { decodeWords } from './build/headers';

test('toCrlf canonicalises bare LF and CR, and returns canonical input unchanged (same Buffer)', () => {
  assert.equal(toCrlf(Buffer.from('a\nb\r\nc\rd\n\n')).toString(), 'a\r\nb\r\nc\r\nd\r\n\r\n');
  const canonical = Buffer.from('a\r\nb\r\n');
  assert.equal(toCrlf(canonical), canonical);
  assert.equal(toCrlf(Buffer.from('\n')).toString(), '\r\n');
  assert.equal(toCrlf(Buffer.from('')).length, 0);
});

test('encodeWords keeps ASCII and round-trips non-ASCII through RFC 2047 words of ≤ 75 chars', () => {
  assert.equal(encodeWords('Fattura n. 12'), 'Fattura n. 12');
  const s = 'Perché «urgente» – €uro '.repeat(5);
  const enc = encodeWords(s);
  for (const w of enc.split(' ')) assert.ok(w.length <= 75, w);
  assert.equal(decodeWords(enc), s);
  assert.equal(decodeWords(`POSTA CERTIFICATA: ${encodeWords('è')}`), 'POSTA CERTIFICATA: è');
});

test('headerLine folds long values at spaces, lines ≤ 78', () => {
  const line = headerLine('Subject', 'parola '.repeat(30).trim());
  for (const l of line.split('\r\n').filter(Boolean)) assert.ok(l.length <= 78);
  assert.equal(line.replace(/\r\n(?=[ ])/g, ''), `Subject: ${'parola '.repeat(30).trim()}\r\n`);
});

test('quoted-printable: escapes =, 8-bit and trailing space; soft breaks ≤ 76', () => {
  const qp = quotedPrintable(Buffer.from('a=b è \n' + 'x'.repeat(200), 'latin1'));
  assert.ok(qp.startsWith('a=3Db =E8=20\r\n'));
  for (const l of qp.split('\r\n')) assert.ok(l.length <= 76);
  assert.equal(qp.split('\r\n').slice(1).join('').replace(/=$/gm, '').replace(/=/g, ''), 'x'.repeat(200));
});

test('small helpers', () => {
  assert.equal(quoteString('Per conto di: "a"\\b'), '"Per conto di: \\"a\\"\\\\b"');
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  assert.equal(isSevenBit(Buffer.from('abc')), true);
  assert.equal(isSevenBit(Buffer.from('è')), false);
  const b = base64Lines(Buffer.alloc(100, 1));
  assert.ok(b.endsWith('\r\n'));
  assert.equal(Buffer.from(b.replace(/\r\n/g, ''), 'base64').length, 100);
});

test('base64Lines: 76-character lines, each ended by CRLF, at every length around a line', () => {
  assert.equal(base64Lines(Buffer.alloc(0)), '\r\n');
  for (const n of [1, 56, 57, 58, 113, 114, 115, 2400]) {
    const data = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37) % 256));
    const text = base64Lines(data);
    const lines = text.split('\r\n');
    assert.equal(lines.pop(), '', `${n}: ends with CRLF`);
    assert.ok(lines.slice(0, -1).every((l) => l.length === 76), `${n}: full lines of 76`);
    assert.ok(lines.at(-1)!.length > 0 && lines.at(-1)!.length <= 76, `${n}: last line`);
    assert.deepEqual(Buffer.from(lines.join(''), 'base64'), data);
  }
});
