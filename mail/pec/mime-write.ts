/**
 * MIME writing helpers for PEC messages: header encoding and folding, quoted-printable, base64
 * lines, boundaries, CRLF canonicalisation. Everything emits CRLF line ends, because the signature
 * covers the canonical form and the bytes are sent exactly as built.
 */
import { randomHex } from './random-hex';

export const CRLF = '\r\n';

const isPrintableAscii = (s: string): boolean => /^[\x20-\x7e\t]*$/.test(s);

/** A quoted-string (RFC 5322 §3.2.4), e.g. for display names like `"Per conto di: a@b"`. */
export function quoteString(s: string): string {
  return `"${s.replace(/[\r\n]+/g, ' ').replace(/(["\\])/g, '\\$1')}"`;
}

/**
 * Header value text as-is when printable ASCII, otherwise RFC 2047 `B` encoded-words in UTF-8,
 * each at most 75 characters and split on character boundaries.
 */
export function encodeWords(text: string): string {
  const clean = text.replace(/[\r\n]+/g, ' ');
  if (isPrintableAscii(clean)) return clean;
  const words: string[] = [];
  let current = '';
  // 45 bytes of UTF-8 → 60 base64 chars + 12 of wrapper = 72 < 75.
  for (const ch of clean) {
    if (Buffer.byteLength(current + ch) > 45) {
      words.push(current);
      current = '';
    }
    current += ch;
  }
  if (current) words.push(current);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join(' ');
}

/** `Name: value` CRLF, folded at spaces so lines stay within 78 characters where possible. */
export function headerLine(name: string, value: string): string {
  const line = `${name}: ${value.replace(/[\r\n]+/g, ' ')}`;
  if (line.length <= 78) return line + CRLF;
  const out: string[] = [];
  let current = '';
  for (const token of line.split(/(?= )/)) {
    if (current.length > 0 && current.length + token.length > 78) {
      out.push(current);
      current = token;
    } else {
      current += token;
    }
  }
  out.push(current);
  return out.join(CRLF) + CRLF;
}

/** Formats a header block from [name, value] pairs (values already encoded). */
export function headerBlock(headers: Array<[string, string]>): string {
  return headers.map(([n, v]) => headerLine(n, v)).join('');
}

/** Quoted-printable (RFC 2045 §6.7) of text bytes, lines ≤ 76, CRLF hard breaks. */
export function quotedPrintable(data: Buffer): string {
  const text = data.toString('latin1').replace(/\r?\n/g, '\n');
  const out: string[] = [];
  for (const rawLine of text.split('\n')) {
    let line = '';
    let encoded = '';
    for (let i = 0; i < rawLine.length; i++) {
      const code = rawLine.charCodeAt(i);
      const isLast = i === rawLine.length - 1;
      let piece: string;
      if ((code >= 33 && code <= 126 && code !== 61) || ((code === 32 || code === 9) && !isLast)) {
        piece = rawLine[i];
      } else {
        piece = `=${code.toString(16).toUpperCase().padStart(2, '0')}`;
      }
      if (line.length + piece.length > 75) {
        encoded += `${line}=${CRLF}`;
        line = '';
      }
      line += piece;
    }
    out.push(encoded + line);
  }
  return out.join(CRLF);
}

/** Base64 in 76-character lines with CRLF, final CRLF included. */
export function base64Lines(data: Buffer): string {
  // Slices, not a /.{76}/g replace: 3-4 µs against 12-16 µs for a 2.4 KB signature.
  const text = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += 76) lines.push(text.slice(i, i + 76));
  return lines.join(CRLF) + CRLF;
}

/** A fresh boundary unlikely to occur in any content (random, with characters base64 lacks). */
export function newBoundary(): string {
  return `----=_PEC_${randomHex(12)}`;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * Canonical CRLF line ends (RFC 5751 §3.1.1). Returns the same Buffer when it is already
 * canonical, so a 30 MB original is not copied needlessly.
 */
export function toCrlf(data: Buffer): Buffer {
  // First pass: count the line ends that need an extra byte (bare LF or bare CR).
  let extra = 0;
  for (let i = data.indexOf(0x0a); i !== -1; i = data.indexOf(0x0a, i + 1)) {
    if (i === 0 || data[i - 1] !== 0x0d) extra++;
  }
  for (let i = data.indexOf(0x0d); i !== -1; i = data.indexOf(0x0d, i + 1)) {
    if (data[i + 1] !== 0x0a) extra++;
  }
  if (extra === 0) return data;
  const out = Buffer.allocUnsafe(data.length + extra);
  let o = 0;
  let from = 0;
  // Copy runs between line ends in bulk; only the line ends are handled byte by byte.
  for (let i = 0; i < data.length; i++) {
    const b = data[i];
    if (b !== 0x0a && b !== 0x0d) continue;
    o += data.copy(out, o, from, i);
    out[o++] = 0x0d;
    out[o++] = 0x0a;
    if (b === 0x0d && data[i + 1] === 0x0a) i++;
    from = i + 1;
  }
  o += data.copy(out, o, from, data.length);
  return out;
}

/** True when every byte is 7-bit (decides 7bit vs 8bit for message/rfc822 parts). */
export function isSevenBit(data: Buffer): boolean {
  for (let i = 0; i < data.length; i++) if (data[i] > 0x7f) return false;
  return true;
}

/** Text bytes plus the charset to declare: ISO-8859-1 as real providers use, UTF-8 when needed. */
export function encodeText(text: string): { bytes: Buffer; charset: 'iso-8859-1' | 'utf-8' } {
  return /^[\u0000-\u00ff]*$/.test(text)
    ? { bytes: Buffer.from(text, 'latin1'), charset: 'iso-8859-1' }
    : { bytes: Buffer.from(text, 'utf8'), charset: 'utf-8' };
}
