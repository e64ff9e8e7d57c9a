/**
 * Header section of a MIME entity: unfolded fields, names matched case-insensitively (Sogei writes
 * `X-Tiporicevuta`), values kept raw (RFC 2047 decoding on request). Sizes are capped so a hostile
 * header block cannot exhaust memory; overflow is recorded as a problem, never thrown.
 */
import { decodeUtf8OrLatin1 } from './charset';
import { decodeEncodedWords } from './encoded-words';

export interface HeaderField {
  /** As written, e.g. `X-Tiporicevuta`. */
  name: string;
  /** Unfolded value, leading whitespace removed, not RFC 2047 decoded. */
  value: string;
}

/** Limits (per header section). */
export const maxHeaderFields = 1000;
export const maxHeaderValueLength = 64 * 1024;

export class Headers {
  private readonly byKey = new Map<string, string[]>();

  constructor(readonly fields: readonly HeaderField[]) {
    for (const f of fields) {
      const key = f.name.toLowerCase();
      const list = this.byKey.get(key);
      if (list) list.push(f.value);
      else this.byKey.set(key, [f.value]);
    }
  }

  /** First value of the field (case-insensitive name), trimmed. */
  get(name: string): string | undefined {
    return this.byKey.get(name.toLowerCase())?.[0]?.trim();
  }

  getAll(name: string): string[] {
    return (this.byKey.get(name.toLowerCase()) ?? []).map((v) => v.trim());
  }

  has(name: string): boolean {
    return this.byKey.has(name.toLowerCase());
  }

  /** First value with RFC 2047 encoded words decoded. */
  decoded(name: string): string | undefined {
    const v = this.get(name);
    return v === undefined ? undefined : decodeEncodedWords(v);
  }
}

export interface HeaderBlock {
  headers: Headers;
  /** Offset of the first body byte (after the blank line), or `end` when there is no body. */
  bodyStart: number;
  problems: string[];
}

const fieldName = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:/;

/**
 * Reads the header section of buf[start, end). It ends at the first empty line; a line that is
 * neither a field nor a continuation also ends it (recorded), so a damaged message still yields
 * a body instead of an exception.
 */
export function readHeaderBlock(buf: Buffer, start: number, end: number): HeaderBlock {
  const fields: HeaderField[] = [];
  const problems: string[] = [];
  let current: { name: string; parts: string[]; length: number } | null = null;
  let truncated = false;
  let dropped = 0;
  const commit = (): void => {
    if (!current) return;
    if (fields.length >= maxHeaderFields) dropped++;
    else fields.push({ name: current.name, value: current.parts.join('') });
    current = null;
  };
  let pos = start;
  let bodyStart = end;
  let first = true;
  while (pos < end) {
    let nl = buf.indexOf(0x0a, pos);
    if (nl < 0 || nl >= end) nl = end;
    let lineEnd = nl;
    if (lineEnd > pos && buf[lineEnd - 1] === 0x0d) lineEnd--;
    const next = nl < end ? nl + 1 : end;
    if (lineEnd === pos) {
      bodyStart = next;
      break;
    }
    const c = buf[pos];
    if ((c === 0x20 || c === 0x09) && current) {
      const cur: { name: string; parts: string[]; length: number } = current;
      if (cur.length < maxHeaderValueLength) {
        const piece = decodeUtf8OrLatin1(
          buf.subarray(pos, Math.min(lineEnd, pos + maxHeaderValueLength - cur.length)),
        );
        cur.parts.push(piece);
        cur.length += piece.length;
      } else truncated = true;
    } else {
      // Only look at the start of the line to find the name: lines may be megabytes long.
      const head = buf.subarray(pos, Math.min(lineEnd, pos + 256)).toString('latin1');
      const m = fieldName.exec(head);
      if (m) {
        commit();
        let valueStart = pos + Buffer.byteLength(m[0], 'latin1');
        while (valueStart < lineEnd && (buf[valueStart] === 0x20 || buf[valueStart] === 0x09)) valueStart++;
        const valueEnd = Math.min(lineEnd, valueStart + maxHeaderValueLength);
        if (valueEnd < lineEnd) truncated = true;
        const value = decodeUtf8OrLatin1(buf.subarray(valueStart, valueEnd));
        current = { name: m[1], parts: [value], length: value.length };
      } else if (first && head.startsWith('From ')) {
        problems.push('mbox "From " line before the headers ignored');
      } else {
        problems.push('header section not ended by an empty line');
        commit();
        bodyStart = pos;
        break;
      }
    }
    first = false;
    pos = next;
  }
  commit();
  if (truncated) problems.push(`header value longer than ${maxHeaderValueLength} characters truncated`);
  if (dropped > 0) problems.push(`${dropped} header fields beyond the limit of ${maxHeaderFields} ignored`);
  return { headers: new Headers(fields), bodyStart, problems };
}
