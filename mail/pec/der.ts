/**
 * Minimal DER encoder for the few ASN.1 structures the engine writes itself (CMS SignedData,
 * certificate wrappers). Hand-encoding keeps signing allocation-light: constant parts are encoded
 * once per signer and reused as Buffers.
 */

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Tag-length-value with a raw tag byte. */
export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = content.length === 1 ? content[0] : Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), encodeLength(body.length), body]);
}

export const sequence = (...items: Buffer[]): Buffer => tlv(0x30, ...items);
/** SET OF with DER ordering (elements sorted by their encodings), as signed attributes require. */
export const setOf = (...items: Buffer[]): Buffer => tlv(0x31, ...[...items].sort(Buffer.compare));
export const octetString = (content: Buffer): Buffer => tlv(0x04, content);
export const nullValue = (): Buffer => Buffer.from([0x05, 0x00]);
/** [n] EXPLICIT / constructed context tag. */
export const contextConstructed = (n: number, ...items: Buffer[]): Buffer => tlv(0xa0 | n, ...items);
export const bitString = (content: Buffer): Buffer => tlv(0x03, Buffer.from([0x00]), content);

/** INTEGER from a non-negative bigint or a big-endian unsigned byte string. */
export function integer(value: bigint | number | Buffer): Buffer {
  let bytes: Buffer;
  if (Buffer.isBuffer(value)) {
    let start = 0;
    while (start < value.length - 1 && value[start] === 0) start++;
    bytes = value.subarray(start);
  } else {
    let hex = BigInt(value).toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    bytes = Buffer.from(hex, 'hex');
  }
  if (bytes.length === 0) bytes = Buffer.from([0]);
  if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(0x02, bytes);
}

/** OBJECT IDENTIFIER from dotted form. */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((a) => BigInt(a));
  const out: number[] = [];
  const first = arcs[0] * 40n + arcs[1];
  for (const arc of [first, ...arcs.slice(2)]) {
    const chunk: number[] = [];
    let n = arc;
    do {
      chunk.unshift(Number(n & 0x7fn));
      n >>= 7n;
    } while (n > 0n);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i] |= 0x80;
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** UTCTime for 1950-2049, GeneralizedTime otherwise (RFC 5280 §4.1.2.5, RFC 5652 signingTime). */
export function time(date: Date): Buffer {
  const y = date.getUTCFullYear();
  const rest = `${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`;
  if (y >= 1950 && y < 2050) return tlv(0x17, Buffer.from(`${String(y % 100).padStart(2, '0')}${rest}`, 'ascii'));
  return tlv(0x18, Buffer.from(`${y}${rest}`, 'ascii'));
}

/** Splits a DER buffer into its top-level element: tag, header length and total length. */
export function readElement(der: Buffer, offset = 0): { tag: number; headerLength: number; length: number; end: number } {
  const tag = der[offset];
  let len = der[offset + 1];
  let header = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[offset + 2 + i];
    header += n;
  }
  return { tag, headerLength: header, length: len, end: offset + header + len };
}

/** The children of a constructed element (e.g. the fields of a SEQUENCE). */
export function children(der: Buffer, offset = 0): Buffer[] {
  const outer = readElement(der, offset);
  const out: Buffer[] = [];
  let pos = offset + outer.headerLength;
  while (pos < outer.end) {
    const el = readElement(der, pos);
    out.push(der.subarray(pos, el.end));
    pos = el.end;
  }
  return out;
}

/** The value bytes of a primitive or constructed element. */
export function contents(element: Buffer): Buffer {
  const el = readElement(element);
  return element.subarray(el.headerLength, el.end);
}
