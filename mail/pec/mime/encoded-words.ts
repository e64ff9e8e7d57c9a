/**
 * RFC 2047 encoded words in header values (`=?iso-8859-1?Q?Caff=E8?=`). Adjacent words separated
 * only by whitespace are joined, and their bytes are concatenated before charset decoding when the
 * charset is the same, because encoders split multi-byte characters across words.
 */
import { decodeCharset } from './charset';

const encodedWord = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;

function decodeQWord(text: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5f) out.push(0x20);
    else if (c === 0x3d && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(c & 0xff);
  }
  return Buffer.from(out);
}

function decodeBWord(text: string): Buffer {
  return Buffer.from(text.replace(/[^A-Za-z0-9+/]/g, ''), 'base64');
}

interface Word {
  charset: string;
  bytes: Buffer;
}

/** Decodes every encoded word; text outside them is kept as is. Never throws. */
export function decodeEncodedWords(value: string): string {
  if (!value.includes('=?')) return value;
  let out = '';
  let last = 0;
  let pending: Word[] = [];
  const flush = (): void => {
    // Merge runs of the same charset so split multi-byte sequences decode correctly.
    let i = 0;
    while (i < pending.length) {
      let j = i + 1;
      while (j < pending.length && pending[j].charset === pending[i].charset) j++;
      const bytes = Buffer.concat(pending.slice(i, j).map((w) => w.bytes));
      out += decodeCharset(bytes, pending[i].charset).text;
      i = j;
    }
    pending = [];
  };
  for (const m of value.matchAll(encodedWord)) {
    const between = value.slice(last, m.index);
    // Whitespace between two encoded words is not part of the text (RFC 2047 §6.2).
    if (!(pending.length > 0 && /^\s*$/.test(between))) {
      flush();
      out += between;
    }
    const charset = m[1].replace(/\*.*$/, '').toLowerCase(); // RFC 2231 language suffix
    const bytes = m[2].toUpperCase() === 'B' ? decodeBWord(m[3]) : decodeQWord(m[3]);
    pending.push({ charset, bytes });
    last = m.index + m[0].length;
  }
  flush();
  return out + value.slice(last);
}
