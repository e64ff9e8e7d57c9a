/**
 * The original as carried by a *breve* delivery receipt (spec §2.5): same MIME tree, but every
 * part with a `name=` or `filename=` parameter is replaced by a text/plain `<name>.hash` part
 * holding the SHA-1 (40 lower-case hex digits, no newline) of the part body as transmitted:
 * the encoded octets from after the blank line ending the part headers up to, not including, the
 * CRLF before the next boundary. A named or unnamed message/rfc822 part is replaced whole. In a
 * multipart/signed original, parts inside the first part are hashed and the signature is kept.
 * Works on CRLF input by offsets; unchanged spans are views, not copies.
 */
import { createHash } from 'node:crypto';
import { CRLF, encodeWords, toCrlf } from '../mime-write';
import { headerParams, headerValue, splitHeaders } from './headers';

/** Name used when a message/rfc822 part has none. */
export const unnamedMessageName = 'messaggio.eml';

function hashPart(data: Buffer, start: number, end: number, name: string, disposition: string): Buffer {
  const { bodyStart } = splitHeaders(data, start, end);
  const digest = createHash('sha1').update(data.subarray(Math.min(bodyStart, end), end)).digest('hex');
  const n = `${name}.hash`;
  // Non-ASCII names go as RFC 2047 words inside the quotes, as most clients write them.
  const quoted = `"${encodeWords(n).replace(/(["\\])/g, '\\$1')}"`;
  return Buffer.from(
    `Content-Type: text/plain; charset=us-ascii; name=${quoted}${CRLF}` +
      `Content-Transfer-Encoding: 7bit${CRLF}` +
      `Content-Disposition: ${disposition}; filename=${quoted}${CRLF}${CRLF}` +
      digest,
    'latin1',
  );
}

/** Offsets of each body part of a multipart entity body [start, end). */
function partRanges(data: Buffer, start: number, end: number, boundary: string): Array<[number, number]> {
  const delim = Buffer.from(`--${boundary}`, 'latin1');
  const ranges: Array<[number, number]> = [];
  let partStart = -1;
  let pos = start;
  while (pos < end) {
    const at = data.indexOf(delim, pos);
    if (at === -1 || at >= end) break;
    const lineStart = at === start || data[at - 1] === 0x0a;
    if (!lineStart) {
      pos = at + delim.length;
      continue;
    }
    if (partStart !== -1) {
      // The CRLF before the delimiter belongs to the delimiter.
      const partEnd = at >= 2 && data[at - 2] === 0x0d ? at - 2 : at - 1;
      ranges.push([partStart, Math.max(partStart, partEnd)]);
    }
    const closing = data[at + delim.length] === 0x2d && data[at + delim.length + 1] === 0x2d;
    if (closing) return ranges;
    const eol = data.indexOf(0x0a, at);
    if (eol === -1 || eol >= end) break;
    partStart = eol + 1;
    pos = partStart;
  }
  return ranges;
}

function rewriteEntity(data: Buffer, start: number, end: number, out: Buffer[], isTopLevel: boolean): void {
  const { fields, bodyStart } = splitHeaders(data, start, end);
  const ct = headerParams(headerValue(fields, 'content-type') ?? 'text/plain');
  const cd = headerParams(headerValue(fields, 'content-disposition') ?? '');
  const name = cd.params.filename ?? ct.params.name;
  if (!isTopLevel && (name || ct.type === 'message/rfc822')) {
    out.push(hashPart(data, start, end, name ?? unnamedMessageName, cd.type === 'inline' ? 'inline' : 'attachment'));
    return;
  }
  const boundary = ct.params.boundary;
  if (!ct.type.startsWith('multipart/') || !boundary) {
    out.push(data.subarray(start, end));
    return;
  }
  const ranges = partRanges(data, bodyStart, end, boundary);
  if (ranges.length === 0) {
    out.push(data.subarray(start, end));
    return;
  }
  // Headers and preamble unchanged, up to the first part.
  out.push(data.subarray(start, ranges[0][0]));
  ranges.forEach(([s, e], i) => {
    const keepWhole = ct.type === 'multipart/signed' && i > 0;
    if (keepWhole) out.push(data.subarray(s, e));
    else rewriteEntity(data, s, e, out, false);
    // Delimiter (and, after the last part, closing delimiter and epilogue) unchanged.
    const next = i + 1 < ranges.length ? ranges[i + 1][0] : end;
    out.push(data.subarray(e, next));
  });
}

/** The breve form of a message (postacert.eml content). */
export function breveCopy(message: Buffer | Buffer[]): Buffer[] {
  const data = toCrlf(Array.isArray(message) ? Buffer.concat(message) : message);
  const out: Buffer[] = [];
  rewriteEntity(data, 0, data.length, out, true);
  return out;
}

