import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isValidCodiceFiscale, isValidPartitaIva, normalizeTaxId } from './italian-ids';

test('partita IVA: real registered numbers pass, one changed digit or wrong shape fails', () => {
  // Telecom Italia, Agenzia delle Entrate, Pirelli-era Milan company, a ministry (80… numeric CF)
  for (const v of ['00488410010', '06363391001', '00743110157', '01114601006', '80415740580', '12345678903']) {
    assert.equal(isValidPartitaIva(v), true, v);
  }
  for (const v of ['00488410011', '06363391002', '12345678901', '1234567890', '123456789012', 'IT00488410010', '00000000000', '']) {
    assert.equal(isValidPartitaIva(v), false, v);
  }
});

test('codice fiscale of a person: check letter computed over odd/even positions', () => {
  for (const v of ['RSSMRA85T10A562S', 'MRTMTT25D09F205Z', 'rssmra85t10a562s', ' RSSMRA85T10A562S ']) {
    assert.equal(isValidCodiceFiscale(v), true, v);
  }
  // wrong check letter, swapped characters, bad month letter, wrong length, non-letters in the name part
  for (const v of ['RSSMRA85T10A562T', 'RSSMRA58T10A562S', 'RSSMRA85Z10A562S', 'RSSMRA85T10A562', '1SSMRA85T10A562S', 'BNCGVN80A01H501U']) {
    assert.equal(isValidCodiceFiscale(v), false, v);
  }
});

test('omocodia: digits replaced by LMNPQRSTUV are accepted when the check letter matches', () => {
  // RSSMRA85T10A562S with its last comune digit 2 → N; the check letter is recomputed to H
  assert.equal(isValidCodiceFiscale('RSSMRA85T10A56NH'), true);
  assert.equal(isValidCodiceFiscale('RSSMRA85T10A56NS'), false);
  // a letter outside LMNPQRSTUV cannot stand for a digit
  assert.equal(isValidCodiceFiscale('RSSMRA85T10A56AS'), false);
});

test('numeric codice fiscale of a company or body follows the partita IVA rule', () => {
  assert.equal(isValidCodiceFiscale('80415740580'), true);
  assert.equal(isValidCodiceFiscale('80415740581'), false);
  assert.equal(normalizeTaxId(' rss mra85t10a562s'), 'RSSMRA85T10A562S');
});
