/**
 * Minimal BER/DER reader for CMS and X.509 structures. Nodes are views into the input (no copies);
 * BER indefinite lengths are accepted because some signers emit them. Malformed input throws
 * Asn1Error, which callers turn into a `bad-structure` verdict.
 */

export class Asn1Error extends Error {
  override name = 'Asn1Error';
}

export interface Asn1Node {
  /** Class bits: 0 universal, 1 application, 2 context-specific, 3 private. */
  cls: number;
  constructed: boolean;
  /** Tag number within the class. */
  tag: number;
  /** The whole TLV (header, content and, for indefinite length, the end-of-contents octets). */
  raw: Buffer;
  /** Content octets (for indefinite length: up to, not including, the end-of-contents). */
  content: Buffer;
  /** Children of a constructed node. */
  children: Asn1Node[];
}

const maxDepth = 64;

export const Tag = {
  boolean: 1,
  integer: 2,
  bitString: 3,
  octetString: 4,
  null: 5,
  oid: 6,
  utf8String: 12,
  sequence: 16,
  set: 17,
  printableString: 19,
  ia5String: 22,
  utcTime: 23,
  generalizedTime: 24,
} as const;

function readNode(buf: Buffer, pos: number, end: number, depth: number): Asn1Node {
  if (depth > maxDepth) throw new Asn1Error('ASN.1 nesting too deep');
  const start = pos;
  if (pos >= end) throw new Asn1Error('ASN.1: unexpected end of data');
  const first = buf[pos++];
  const cls = first >> 6;
  const constructed = (first & 0x20) !== 0;
  let tag = first & 0x1f;
  if (tag === 0x1f) {
    tag = 0;
    let byte: number;
    let n = 0;
    do {
      if (pos >= end || ++n > 4) throw new Asn1Error('ASN.1: bad tag');
      byte = buf[pos++];
      tag = tag * 128 + (byte & 0x7f);
    } while (byte & 0x80);
  }
  if (pos >= end) throw new Asn1Error('ASN.1: missing length');
  const lenByte = buf[pos++];
  const children: Asn1Node[] = [];
  if (lenByte === 0x80) {
    if (!constructed) throw new Asn1Error('ASN.1: indefinite length on a primitive');
    const contentStart = pos;
    for (;;) {
      if (pos + 2 > end) throw new Asn1Error('ASN.1: missing end-of-contents');
      if (buf[pos] === 0 && buf[pos + 1] === 0) break;
      const child = readNode(buf, pos, end, depth + 1);
      children.push(child);
      pos += child.raw.length;
    }
    return {
      cls,
      constructed,
      tag,
      raw: buf.subarray(start, pos + 2),
      content: buf.subarray(contentStart, pos),
      children,
    };
  }
  let length = lenByte;
  if (lenByte & 0x80) {
    const n = lenByte & 0x7f;
    if (n > 4) throw new Asn1Error('ASN.1: length too large');
    length = 0;
    for (let i = 0; i < n; i++) {
      if (pos >= end) throw new Asn1Error('ASN.1: truncated length');
      length = length * 256 + buf[pos++];
    }
  }
  if (pos + length > end) throw new Asn1Error('ASN.1: content runs past the end of data');
  const content = buf.subarray(pos, pos + length);
  if (constructed) {
    let p = pos;
    while (p < pos + length) {
      const child = readNode(buf, p, pos + length, depth + 1);
      children.push(child);
      p += child.raw.length;
    }
  }
  return { cls, constructed, tag, raw: buf.subarray(start, pos + length), content, children };
}

/** Parses one element at the start of buf (trailing bytes are ignored, as openssl does). */
export function readAsn1(buf: Buffer): Asn1Node {
  return readNode(buf, 0, buf.length, 0);
}

// The predicates name the class so a false result does not narrow the node away.
export function isUniversal(node: Asn1Node | undefined, tag: number): node is Asn1Node & { cls: 0 } {
  return node !== undefined && node.cls === 0 && node.tag === tag;
}

export function isContext(node: Asn1Node | undefined, tag: number): node is Asn1Node & { cls: 2 } {
  return node !== undefined && node.cls === 2 && node.tag === tag;
}

export function expect(node: Asn1Node | undefined, tag: number, what: string): Asn1Node {
  if (!isUniversal(node, tag)) throw new Asn1Error(`ASN.1: ${what} has the wrong type`);
  return node;
}

export function oidToString(node: Asn1Node): string {
  if (!isUniversal(node, Tag.oid) || node.content.length === 0) throw new Asn1Error('ASN.1: expected an OID');
  const parts: number[] = [];
  let value = 0;
  for (const byte of node.content) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  const firstArc = parts[0] < 40 ? 0 : parts[0] < 80 ? 1 : 2;
  return [firstArc, parts[0] - firstArc * 40, ...parts.slice(1)].join('.');
}

/** Content of an OCTET STRING, joining the chunks of a BER constructed one. */
export function octets(node: Asn1Node): Buffer {
  if (!node.constructed) return node.content;
  return Buffer.concat(node.children.map(octets));
}

/** UTCTime / GeneralizedTime → Date (invalid → throws). */
export function asn1Time(node: Asn1Node): Date {
  const s = node.content.toString('latin1');
  let m: RegExpExecArray | null;
  let year: number;
  let rest: string;
  if (isUniversal(node, Tag.utcTime) && (m = /^(\d{2})(\d{10,12})(.*)$/.exec(s))) {
    year = Number(m[1]);
    year += year < 50 ? 2000 : 1900;
    rest = m[2] + m[3];
  } else if (isUniversal(node, Tag.generalizedTime) && (m = /^(\d{4})(\d{10}.*)$/.exec(s))) {
    year = Number(m[1]);
    rest = m[2];
  } else throw new Asn1Error(`ASN.1: bad time "${s.slice(0, 20)}"`);
  const t = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:[.,](\d+))?(Z|[+-]\d{4})?$/.exec(rest);
  if (!t) throw new Asn1Error(`ASN.1: bad time "${s.slice(0, 20)}"`);
  const [, mo, d, h, mi, sec, frac, zone] = t;
  let ms = Date.UTC(
    year,
    Number(mo) - 1,
    Number(d),
    Number(h),
    Number(mi),
    Number(sec ?? 0),
    frac ? Math.round(Number(`0.${frac}`) * 1000) : 0,
  );
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5))) * 60000;
  }
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) throw new Asn1Error('ASN.1: bad time');
  return date;
}
