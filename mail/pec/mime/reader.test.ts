import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decodeBase64,
  decodeBody,
  decodeEncodedWords,
  decodeQuotedPrintable,
  decodeText,
  maxHeaderValueLength,
  parseStructured,
  readMime,
  walkEntities,
} from '.';

const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'latin1');

const signedLines = [
  'From: "Per conto di: alice@pec.alfa.test" <posta-certificata@pec.alfa.test>',
  'Subject: POSTA CERTIFICATA: =?iso-8859-1?Q?Caff=E8?= e =?UTF-8?B?w6g=?=',
  'X-Tiporicevuta: breve',
  'Content-Type: multipart/signed; protocol="application/x-pkcs7-signature";',
  '\tmicalg=sha1; boundary="----OUTER"',
  '',
  'This is an S/MIME signed message',
  '',
  '------OUTER',
  'Content-Type: multipart/mixed; boundary="----OUTER-inner"',
  '',
  '------OUTER-inner',
  'Content-Type: text/plain; charset="iso-8859-1"',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'Il messaggio =E8 stato accettato, perch=E9 conforme. Riga lunga spezzata =',
  'qui.',
  '------OUTER-inner',
  'Content-Type: message/rfc822; name="postacert.eml"',
  'Content-Disposition: inline; filename="postacert.eml"',
  '',
  'From: alice@pec.alfa.test',
  'Subject: originale',
  '',
  'corpo originale',
  '------OUTER-inner--',
  '',
  '------OUTER',
  'Content-Type: application/x-pkcs7-signature; name="smime.p7s"',
  'Content-Transfer-Encoding: base64',
  '',
  'AAEC',
  'AwQF',
  '------OUTER--',
  '',
];

describe('MIME reader', () => {
  test('gives the exact bytes of each part, nested messages included', () => {
    for (const eol of ['\r\n', '\n']) {
      const raw = Buffer.from(signedLines.join(eol), 'latin1');
      const { root, problems } = readMime(raw);
      assert.deepEqual(problems, []);
      assert.equal(root.mimeType, 'multipart/signed');
      assert.equal(root.params.protocol, 'application/x-pkcs7-signature');
      assert.equal(root.params.boundary, '----OUTER');
      const [signed, signature] = root.parts;
      // The signed bytes: from after the first delimiter line to before the CRLF of the next.
      const start = raw.indexOf(`------OUTER${eol}`) + `------OUTER${eol}`.length;
      const end = raw.indexOf(`${eol}------OUTER${eol}Content-Type: application`);
      assert.ok(signed.raw.equals(raw.subarray(start, end)), `signed range with ${JSON.stringify(eol)}`);
      assert.equal(signed.raw.buffer, raw.buffer, 'a view, not a copy');
      assert.equal(signed.parts.length, 2, 'inner boundary that extends the outer one is told apart');
      const [text, postacert] = signed.parts;
      assert.equal(
        decodeText(text),
        'Il messaggio è stato accettato, perché conforme. Riga lunga spezzata qui.',
      );
      assert.equal(postacert.filename, 'postacert.eml');
      assert.equal(postacert.message?.headers.get('subject'), 'originale');
      assert.equal(postacert.message?.body.toString(), 'corpo originale');
      assert.deepEqual([...decodeBody(signature)], [0, 1, 2, 3, 4, 5]);
      assert.equal(root.headers.get('x-tiporicevuta'), 'breve');
      assert.equal(root.headers.get('X-TipoRicevuta'), 'breve', 'header names are case-insensitive');
      assert.equal(root.headers.decoded('subject'), 'POSTA CERTIFICATA: Caffè e è');
      assert.deepEqual(
        [...walkEntities(root, true)].map((e) => e.path),
        ['', '1', '1.1', '1.2', '1.2.m', '2'],
      );
    }
  });

  test('damaged structure is reported, never thrown', () => {
    const truncated = crlf(signedLines.slice(0, 20));
    const r = readMime(truncated);
    assert.ok(
      r.problems.some((p) => p.includes('closing boundary missing')),
      r.problems.join('; '),
    );
    assert.equal(r.root.parts.length, 1);
    const noBoundary = readMime(crlf(['Content-Type: multipart/mixed', '', 'body']));
    assert.ok(noBoundary.problems[0].includes('without boundary'));
    const missing = readMime(crlf(['Content-Type: multipart/mixed; boundary=zz', '', 'body']));
    assert.ok(missing.problems[0].includes('never found'));
    const noBlankLine = readMime(crlf(['Subject: x', 'this is no header', 'more']));
    assert.equal(noBlankLine.root.body.toString(), 'this is no header\r\nmore');
    assert.ok(noBlankLine.problems[0].includes('not ended by an empty line'));
    const badType = readMime(crlf(['Content-Type: ???', '', 'x']));
    assert.equal(badType.root.mimeType, 'text/plain');
    assert.equal(readMime(Buffer.alloc(0)).root.headers.fields.length, 0);
  });

  test('hostile sizes are capped: deep nesting, huge headers, many fields', () => {
    const depth = 200;
    const lines: string[] = [];
    for (let i = 0; i < depth; i++)
      lines.push(`Content-Type: multipart/mixed; boundary="b${i}"`, '', `--b${i}`);
    lines.push('', 'leaf');
    const t0 = Date.now();
    const nested = readMime(crlf(lines));
    assert.ok(
      nested.problems.some((p) => p.includes('limit')),
      'nesting limit reported',
    );
    const huge = readMime(
      Buffer.concat([Buffer.from('Subject: '), Buffer.alloc(5_000_000, 0x61), Buffer.from('\r\n\r\nbody')]),
    );
    assert.equal(huge.root.headers.get('subject')?.length, maxHeaderValueLength);
    assert.equal(huge.root.body.toString(), 'body');
    const many = readMime(Buffer.from(`${'X-A: 1\r\n'.repeat(50_000)}\r\nbody`));
    assert.ok(many.problems.some((p) => p.includes('beyond the limit')));
    assert.ok(Date.now() - t0 < 5000);
  });
});

describe('decoders', () => {
  test('RFC 2047 words: charsets, joined adjacent words, split multi-byte characters, UTF-7', () => {
    assert.equal(decodeEncodedWords('=?ISO-8859-1?Q?Perch=E9_no?='), 'Perché no');
    assert.equal(decodeEncodedWords('=?utf-8?B?w6g=?= =?utf-8?B?w6g=?=  fine'), 'èè  fine');
    // "è" (C3 A8) split across two words must still decode.
    assert.equal(decodeEncodedWords('=?UTF-8?Q?=C3?= =?UTF-8?Q?=A8?='), 'è');
    assert.equal(decodeEncodedWords('=?utf-7?Q?Caff+AOg-?='), 'Caffè');
    assert.equal(decodeEncodedWords('=?windows-1252?Q?=80_10?='), '€ 10');
    assert.equal(decodeEncodedWords('=?x-nonsense?Q?abc?='), 'abc');
    assert.equal(decodeEncodedWords('plain =? not a word'), 'plain =? not a word');
  });

  test('parameters: quoting, RFC 2231 continuations and charsets, encoded words in names', () => {
    const p = parseStructured(
      'attachment; filename*0*=iso-8859-1\'it\'fattura%E8; filename*1=".pdf"; size=12',
    );
    assert.equal(p.value, 'attachment');
    assert.equal(p.params.filename, 'fatturaè.pdf');
    assert.equal(p.params.size, '12');
    const q = parseStructured('application/pdf; name="=?UTF-8?B?w6gucGRm?="; x="a;b\\"c"');
    assert.equal(q.params.name, 'è.pdf');
    assert.equal(q.params.x, 'a;b"c');
    assert.deepEqual(parseStructured(';;'), { value: '', params: {} });
  });

  test('transfer encodings are decoded tolerantly', () => {
    assert.equal(decodeBase64(Buffer.from('aGVs\r\nbG8=')).bytes.toString(), 'hello');
    const chunks = decodeBase64(Buffer.from('aGVsbG8=IHdvcmxk'));
    assert.equal(chunks.bytes.toString(), 'hello world');
    const bad = decodeBase64(Buffer.from('aGV*sbG8!'));
    assert.equal(bad.bytes.toString(), 'hello');
    assert.match(bad.problem ?? '', /2 invalid characters/);
    const qp = decodeQuotedPrintable(Buffer.from('caff=E8 =\r\nbuono=3D=ZZ'));
    assert.equal(qp.bytes.toString('latin1'), 'caffè buono==ZZ');
    assert.match(qp.problem ?? '', /1 malformed/);
  });
});
