/**
 * The filled modulo read back with pdftotext (poppler): every value, the request number, the date,
 * the signature boxes, Italian accented letters through WinAnsi, and a name outside WinAnsi.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { requestFormDocument } from '@/lib/requests/form-document';
import { ensureDebianPackages } from '@/scripts/lib/system-packages';
import { buildRequestFormPdf } from './request-form';
import { toWinAnsi } from './win-ansi';

let dir: string;
before(async () => {
  ensureDebianPackages({ pdftotext: 'poppler-utils' });
  dir = await mkdtemp(path.join(os.tmpdir(), 'pdf-form-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function textOf(bytes: Uint8Array): Promise<string> {
  const file = path.join(dir, `f${Math.random().toString(36).slice(2)}.pdf`);
  await writeFile(file, bytes);
  return execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
}

const activation = {
  id: '3f2a9c1e-1111-4222-8333-444455556666',
  kind: 'ACTIVATION' as const,
  requestedAddress: 'amministrazione@pec.gestore.test',
  plan: 'business',
  durationYears: 3,
  submittedAt: new Date('2026-11-24T09:30:00Z'),
  createdAt: new Date('2026-11-24T09:30:00Z'),
  formData: {
    holderKind: 'COMPANY',
    holderName: 'Società Agricola Ïlva & Figli S.r.l. – Łódź',
    vatNumber: '12345678903',
    fiscalCode: '',
    legalRepName: 'Niccolò Dell’Acqua',
    legalRepFiscalCode: 'RSSMRA85T10A562S',
    contactEmail: 'ufficio@ilva.example',
    phone: '+39 0577 123456',
    address: 'Via della Libertà 12, 53100 Siena',
    renewalMode: 'AUTOMATIC',
  },
};

test('activation modulo: every value, number, date, declarations and signature boxes are in the text', async () => {
  const bytes = await buildRequestFormPdf(requestFormDocument(activation, 'Gestore PEC Ètico'));
  assert.equal(Buffer.from(bytes.subarray(0, 5)).toString(), '%PDF-');
  const text = await textOf(bytes);
  for (const expected of [
    'Modulo di attivazione casella PEC',
    'Richiesta n. 3F2A9C1E',
    '24 novembre 2026',
    'Gestore PEC Ètico',
    'Impresa / società',
    'Società Agricola Ïlva & Figli S.r.l. – Lódz',
    '12345678903',
    'Niccolò Dell’Acqua',
    'RSSMRA85T10A562S',
    'ufficio@ilva.example',
    '+39 0577 123456',
    'Via della Libertà 12, 53100 Siena',
    'amministrazione@pec.gestore.test',
    'PEC Business 5 GB',
    '3 anni',
    'Rinnovo automatico',
    'Luogo e data',
    'Firma del richiedente / legale rappresentante',
    'D.P.R. 445/2000',
  ]) {
    assert.ok(text.includes(expected), `missing: ${expected}\n${text}`);
  }
});

test('renewal modulo: mailbox, current expiry, new duration', async () => {
  const text = await textOf(
    await buildRequestFormPdf(
      requestFormDocument(
        {
          ...activation,
          kind: 'RENEWAL',
          durationYears: 1,
          formData: { holderName: 'Alfa S.r.l.', vatNumber: '12345678903', contactEmail: 'a@alfa.example', currentExpiry: '2027-03-15T10:00:00Z', renewalMode: 'MANUAL' },
        },
        'Gestore',
      ),
    ),
  );
  for (const expected of ['Modulo di rinnovo casella PEC', 'Alfa S.r.l.', '15 marzo 2027', '1 anno', 'Alla scadenza, su richiesta', 'il rinnovo della casella']) {
    assert.ok(text.includes(expected), `missing: ${expected}\n${text}`);
  }
});

test('WinAnsi reduction keeps Italian letters and replaces the rest', () => {
  assert.equal(toWinAnsi('àèéìòù ÀÈÉÌÒÙ € “x” — Ł ő 漢'), 'àèéìòù ÀÈÉÌÒÙ € “x” — L o ?');
});
