/**
 * Italian tax identifiers with their check characters:
 *  - codice fiscale of a person: 16 characters (surname, name, birth date and place, check letter),
 *    including "omocodia" variants where digits are replaced by letters LMNPQRSTUV;
 *  - codice fiscale of a company or body: 11 digits, same algorithm as the partita IVA;
 *  - partita IVA: 11 digits, the last a Luhn-style check digit.
 */

const personPattern = /^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$/;

// value of a character in an odd (1st, 3rd, …) position, digits 0-9 then letters A-Z
const oddValues = [
  1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];

function charIndex(c: string): number {
  const code = c.charCodeAt(0);
  return code <= 57 ? code - 48 : code - 65 + 10;
}

/** Normalized form for storage and comparison: upper case, no spaces. */
export function normalizeTaxId(value: string): string {
  return value.replace(/\s+/g, '').toUpperCase();
}

export function isValidPartitaIva(value: string): boolean {
  const v = normalizeTaxId(value);
  if (!/^\d{11}$/.test(v) || v === '00000000000') return false;
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    let d = v.charCodeAt(i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10 === v.charCodeAt(10) - 48;
}

function isValidPersonCodiceFiscale(v: string): boolean {
  if (!personPattern.test(v)) return false;
  let sum = 0;
  for (let i = 0; i < 15; i++) {
    const idx = charIndex(v[i]);
    // even positions (2nd, 4th, …) count digits as 0-9 and letters as 0-25
    sum += i % 2 === 0 ? oddValues[idx] : idx >= 10 ? idx - 10 : idx;
  }
  return String.fromCharCode(65 + (sum % 26)) === v[15];
}

/** A codice fiscale of a person (16 characters) or of a company/body (11 digits). */
export function isValidCodiceFiscale(value: string): boolean {
  const v = normalizeTaxId(value);
  if (v.length === 11) return isValidPartitaIva(v);
  return isValidPersonCodiceFiscale(v);
}
