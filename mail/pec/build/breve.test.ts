import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { breveCopy, unnamedMessageName } from './breve';

const sha1 = (s: string): string => createHash('sha1').update(Buffer.from(s, 'latin1')).digest('hex');
const crlf = (lines: string[]): string => lines.join('\r\n');

const signedOriginal = crlf([
  'From: alice@pec.alfa.test',
  'Subject: firmato',
  'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="S"',
  '',
  'preamble',
  '--S',
  'Content-Type: multipart/mixed; boundary="M"',
  '',
  '--M',
  'Content-Type: text/plain; charset=us-ascii',
  '',
  'corpo del messaggio',
  '--M',
  'Content-Type: application/octet-stream',
  "Content-Disposition: attachment; filename*=utf-8''fattura%C3%A8.xml",
  'Content-Transfer-Encoding: base64',
  '',
  'AAAA',
  'BBBB',
  '--M',
  'Content-Type: message/rfc822',
  '',
  'From: x@example.com',
  'Subject: inner',
  '',
  'inner body',
  '--M',
  'Content-Type: image/png; name="=?UTF-8?Q?logo=5F=C3=A9.png?="',
  'Content-Disposition: inline',
  'Content-Transfer-Encoding: base64',
  '',
  'iVBORw0K',
  '--M--',
  '',
  '--S',
  'Content-Type: application/pkcs7-signature; name="smime.p7s"',
  'Content-Transfer-Encoding: base64',
  'Content-Disposition: attachment; filename="smime.p7s"',
  '',
  'MIAGCSqGSIb3DQEHAqCAMIACAQEx',
  '--S--',
  'epilogue',
  '',
]);

test('breve: named parts and message/rfc822 become .hash parts; signature part kept; rest unchanged', () => {
  const out = Buffer.concat(breveCopy(Buffer.from(signedOriginal, 'latin1'))).toString('latin1');
  const hashPart = (name: string, disposition: string, digest: string) =>
    crlf([
      `Content-Type: text/plain; charset=us-ascii; name="${name}"`,
      'Content-Transfer-Encoding: 7bit',
      `Content-Disposition: ${disposition}; filename="${name}"`,
      '',
      digest,
    ]);
  const expected = signedOriginal
    .replace(
      /Content-Type: application\/octet-stream\r\n[\s\S]*?BBBB/,
      hashPart(`=?UTF-8?B?${Buffer.from('fatturaè.xml.hash').toString('base64')}?=`, 'attachment', sha1('AAAA\r\nBBBB')),
    )
    .replace(/Content-Type: message\/rfc822\r\n[\s\S]*?inner body/, hashPart(`${unnamedMessageName}.hash`, 'attachment', sha1('From: x@example.com\r\nSubject: inner\r\n\r\ninner body')))
    .replace(
      /Content-Type: image\/png[\s\S]*?iVBORw0K/,
      hashPart(`=?UTF-8?B?${Buffer.from('logo_é.png.hash').toString('base64')}?=`, 'inline', sha1('iVBORw0K')),
    );
  assert.equal(out, expected);
  assert.ok(out.includes('MIAGCSqGSIb3DQEHAqCAMIACAQEx'), 'signature part kept');
  assert.ok(out.includes('corpo del messaggio'));
});

test('breve: an application/pkcs7-mime original and a message without attachments stay intact', () => {
  const opaque = crlf([
    'Subject: opaco',
    'Content-Type: application/pkcs7-mime; smime-type=signed-data; name="smime.p7m"',
    'Content-Disposition: attachment; filename="smime.p7m"',
    'Content-Transfer-Encoding: base64',
    '',
    'MIAGCSqGSIb3DQEHAqCAMIACAQEx',
    '',
  ]);
  assert.equal(Buffer.concat(breveCopy(Buffer.from(opaque))).toString(), opaque);
  const plain = 'Subject: x\r\nContent-Type: text/plain\r\n\r\nsolo testo\r\n';
  assert.equal(Buffer.concat(breveCopy(Buffer.from(plain))).toString(), plain);
});

test('breve: LF-only input is canonicalised before hashing', () => {
  const lf = signedOriginal.replace(/\r\n/g, '\n');
  const a = Buffer.concat(breveCopy(Buffer.from(lf, 'latin1'))).toString('latin1');
  const b = Buffer.concat(breveCopy(Buffer.from(signedOriginal, 'latin1'))).toString('latin1');
  assert.equal(a, b);
});
