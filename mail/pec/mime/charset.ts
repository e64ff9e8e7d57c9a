/**
 * Bytes → text for a declared MIME charset. Providers declare ISO-8859-1, UTF-8, Windows-1252 and
 * even UTF-7 (InfoCert), and sometimes lie: an unknown charset falls back to UTF-8 when the bytes
 * are valid UTF-8, else Latin-1, so a wrong label never loses text.
 */
import iconv from 'iconv-lite';

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Labels seen in real mail that iconv-lite does not know under that name. */
const aliases: Record<string, string> = {
  'x-unknown': 'latin1',
  'unknown-8bit': 'latin1',
  'x-user-defined': 'latin1',
  ansi_x3: 'ascii',
  'ansi_x3.4-1968': 'ascii',
  ascii: 'latin1', // 8-bit bytes under an ASCII label are almost always Latin-1
  'us-ascii': 'latin1',
};

export function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] > 0x7f) return false;
  return true;
}

/** UTF-8 if the bytes are valid UTF-8, Latin-1 otherwise (never throws). */
export function decodeUtf8OrLatin1(bytes: Uint8Array): string {
  if (isAscii(bytes)) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  }
}

export interface CharsetDecoding {
  text: string;
  /** Set when the label was unknown and a fallback was used. */
  problem?: string;
}

/** Decodes with the declared charset; an empty or unknown label falls back (see module comment). */
export function decodeCharset(bytes: Uint8Array, charset: string | undefined): CharsetDecoding {
  const label = (charset ?? '')
    .trim()
    .replace(/^["']|["']$/g, '')
    .toLowerCase();
  if (!label) return { text: decodeUtf8OrLatin1(bytes) };
  const name = aliases[label] ?? label;
  if (name === 'utf-8' || name === 'utf8') {
    try {
      return { text: utf8Strict.decode(bytes) };
    } catch {
      return {
        text: decodeUtf8OrLatin1(bytes),
        problem: 'text declared UTF-8 is not valid UTF-8 (read as Latin-1)',
      };
    }
  }
  if (!iconv.encodingExists(name)) {
    return { text: decodeUtf8OrLatin1(bytes), problem: `unknown charset "${label}"` };
  }
  return { text: iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), name) };
}
