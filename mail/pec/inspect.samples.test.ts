/**
 * Interop: every real provider message in the shared samples folder is classified as its README
 * says, and our "intact" verdict equals openssl's own (`openssl smime -verify -noverify`).
 * The only suite allowed to skip, when the shared samples are not checked out beside the repo.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { sharedPecAvailable, sharedSamplesDir } from '@/lib/testing/shared-pec';
import { inspectMessage, type PecKind } from './inspect';
import { decodeText, readMime, walkEntities } from './mime';

/** From samples/README.md: kind, receipt type, signature intact. */
const expected: Record<string, [PecKind, string | null, boolean]> = {
  'sogei-2018-busta-breve-edited-xml.eml': ['posta-certificata', 'breve', false],
  'sogei-2018-busta-breve-no-daticert.eml': ['posta-certificata', 'breve', false],
  'sogei-2018-busta-breve.eml': ['posta-certificata', 'breve', true],
  'anon-accettazione.eml': ['accettazione', null, false],
  'anon-mancata-consegna.eml': ['errore-consegna', null, false],
  'anon-2021-consegna-completa.eml': ['avvenuta-consegna', 'completa', false],
  'anon-2021-busta.eml': ['posta-certificata', 'completa', false],
  'anon-accettazione-2.eml': ['accettazione', null, false],
  'aruba-2014-busta.eml': ['posta-certificata', 'completa', true],
  'aruba-2014-busta-2.eml': ['posta-certificata', null, true],
  'aruba-2014-accettazione.eml': ['accettazione', null, true],
  'aruba-2014-consegna-completa.eml': ['avvenuta-consegna', 'completa', true],
  'aruba-2024-original-postacert.eml': ['non-pec', null, false],
  'aruba-2024-original-postacert-noattach.eml': ['non-pec', null, false],
  'aruba-2018-busta-text-only.eml': ['posta-certificata', null, true],
  'aruba-2018-busta-attachments.eml': ['posta-certificata', 'completa', true],
  'aruba-2018-busta-tags.eml': ['posta-certificata', null, true],
  'telecom-2018-busta.eml': ['posta-certificata', 'completa', true],
  'sogei-2019-busta-breve-sha256.eml': ['posta-certificata', 'breve', true],
  'forward-of-legalmail-busta-3.eml': ['non-pec', null, false],
  'forward-of-aruba-busta.eml': ['non-pec', null, false],
  'legalmail-2019-busta-altered-2.eml': ['posta-certificata', null, false],
  'legalmail-2019-busta-utf7.eml': ['posta-certificata', null, true],
  'cedacri-busta-altered.eml': ['posta-certificata', 'completa', false],
  'aruba-2019-busta-address.eml': ['posta-certificata', null, true],
  'aruba-2019-busta-from-forward.eml': ['posta-certificata', null, true],
  'legalmail-2019-busta.eml': ['posta-certificata', null, true],
  'legalmail-2019-busta-3.eml': ['posta-certificata', null, true],
};

function opensslIntact(file: string): boolean {
  return (
    spawnSync('openssl', ['smime', '-verify', '-noverify', '-in', file, '-out', '/dev/null'], {
      stdio: 'ignore',
    }).status === 0
  );
}

describe(
  'real provider samples',
  { skip: sharedPecAvailable ? false : `shared samples not found at ${sharedSamplesDir}` },
  () => {
    const files = sharedPecAvailable
      ? readdirSync(sharedSamplesDir)
          .filter((f) => f.endsWith('.eml'))
          .sort()
      : [];

    test('the expected table covers every sample file', () => {
      assert.deepEqual(Object.keys(expected).sort(), files);
      // The README is the source of the table: every file it lists is in the table.
      const readme = readFileSync(path.join(sharedSamplesDir, 'README.md'), 'utf8');
      for (const f of files) assert.ok(readme.includes(`| ${f} |`), `${f} is in the README`);
    });

    for (const file of files) {
      test(file, () => {
        const full = path.join(sharedSamplesDir, file);
        const r = inspectMessage(readFileSync(full));
        const [kind, receiptType, intact] = expected[file];
        assert.equal(r.kind, kind);
        assert.equal(r.receiptType, receiptType);
        assert.equal(r.signature.intact, intact, r.signature.detail ?? '');
        assert.equal(opensslIntact(full), intact, 'openssl agrees');
        assert.equal(r.signature.present, kind !== 'non-pec');
        if (intact) {
          assert.equal(r.signature.code, null);
          assert.ok(r.signature.signer?.sha1.match(/^[0-9a-f]{40}$/));
          assert.ok(r.signature.digest === 'sha1' || r.signature.digest === 'sha256');
        } else if (r.signature.present) {
          assert.ok(
            r.signature.code === 'digest-mismatch' || r.signature.code === 'bad-structure',
            `${r.signature.code}`,
          );
        }
        if (kind === 'posta-certificata')
          assert.ok(r.original && r.original.length > 0, 'postacert.eml extracted');
        if (r.daticert) {
          assert.equal(r.daticert.tipo, kind);
          assert.match(r.daticert.date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
        }
        assert.ok(!r.problems.some((p) => p.startsWith('internal error')), r.problems.join('; '));
        if (intact) {
          // Genuine provider traffic must pass our format checks, or reception would call it an anomaly.
          const format = r.problems.filter(
            (p) => !p.startsWith('signature verifies only over the CRLF-canonical form'),
          );
          assert.deepEqual(format, []);
        }
      });
    }

    test('an intact real busta read with LF line ends still verifies (canonical form)', () => {
      const raw = readFileSync(path.join(sharedSamplesDir, 'aruba-2018-busta-attachments.eml'));
      const lf = Buffer.from(raw.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
      const r = inspectMessage(lf);
      assert.equal(r.signature.intact, true);
      assert.equal(r.signature.canonicalized, true);
    });

    test('UTF-7 and ISO-8859-1 quoted-printable texts of real messages decode', () => {
      const r = inspectMessage(readFileSync(path.join(sharedSamplesDir, 'legalmail-2019-busta-utf7.eml')));
      assert.ok(r.original);
      const html = [...walkEntities(readMime(r.original).root)].find((e) => e.mimeType === 'text/html');
      assert.equal(html?.params.charset, 'utf-7');
      assert.match(decodeText(html!), /^<HTML><HEAD><\/HEAD>\r\n<BODY dir=ltr>/);
      assert.equal(r.daticert?.dati.gestoreEmittente, 'InfoCert S.p.A.');
      const sogei = readMime(readFileSync(path.join(sharedSamplesDir, 'sogei-2018-busta-breve.eml')));
      const text = [...walkEntities(sogei.root)].find((e) => e.mimeType === 'text/plain');
      assert.deepEqual([text?.params.charset, text?.transferEncoding], ['iso-8859-1', 'quoted-printable']);
      // A soft line break splits the address in the raw text: decoding must join it.
      assert.match(decodeText(text!), /e' stato inviato da "sdi03@pec\.fatturapa\.it"\n/);
    });
  },
);
