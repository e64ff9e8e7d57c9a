/**
 * The official provider index (IGPEC, spec §1.2) read from its LDIF export: base `o=postacert`,
 * one entry per provider (`providerName=…,o=postacert`, secondary environments with
 * `providerUnit=…`). It answers the two questions of the reception point: which provider owns this
 * signing certificate (SHA-1 lookup, case-insensitive hex) and which provider manages this domain.
 * `formatProviderLdif` writes our own record in the same format.
 */
import { decodeUtf8OrLatin1 } from './mime/charset';
import { normalizeCertificateHash, pemCertificates, readCertificate } from './cms/certificate';

export interface ProviderRecord {
  dn: string;
  providerName: string;
  /** Secondary operating environment, null for the main entry. */
  providerUnit: string | null;
  /** DER signing certificates (providerCertificate;binary). */
  certificates: Buffer[];
  /** Declared providerCertificateHash values plus the SHA-1 of each certificate, normalised. */
  certificateHashes: string[];
  /** Service mailbox (casella di servizio) for presa in carico and rilevazione virus. */
  mailReceipt: string | null;
  /** PEC mail domains, lower case. */
  managedDomains: string[];
  ldifLocationUrl: string | null;
  description: string | null;
}

export class ProviderIndex {
  private readonly hashes = new Map<string, ProviderRecord>();
  private readonly domains = new Map<string, ProviderRecord>();

  constructor(readonly providers: readonly ProviderRecord[]) {
    for (const p of providers) {
      for (const h of p.certificateHashes) if (!this.hashes.has(h)) this.hashes.set(h, p);
      for (const d of p.managedDomains) if (!this.domains.has(d)) this.domains.set(d, p);
    }
  }

  /** Provider whose providerCertificateHash is `hash` (hex, any case, colons allowed). */
  byCertificateHash(hash: string): ProviderRecord | undefined {
    return this.hashes.get(normalizeCertificateHash(hash));
  }

  /** Provider that lists `domain` in managedDomains (case-insensitive, exact domain). */
  byDomain(domain: string): ProviderRecord | undefined {
    return this.domains.get(normalizeDomain(domain));
  }

  /** Every signing certificate in the index (DER). */
  certificates(): Buffer[] {
    return this.providers.flatMap((p) => p.certificates);
  }

  /** One index holding the records of both (lookups prefer `this`). */
  merge(other: ProviderIndex): ProviderIndex {
    return new ProviderIndex([...this.providers, ...other.providers]);
  }
}

export function normalizeDomain(domain: string): string {
  return domain.trim().toLowerCase().replace(/\.$/, '');
}

// ---------------------------------------------------------------- LDIF reading (RFC 2849)

interface LdifAttribute {
  /** Lower-case attribute type without options. */
  type: string;
  options: string[];
  value: Buffer;
  /** True for `attr:: base64` values. */
  base64: boolean;
}

interface LdifRecord {
  dn: string;
  attributes: LdifAttribute[];
  line: number;
}

/** Logical lines (unfolded, comments removed) grouped into records separated by blank lines. */
function ldifRecords(text: string, problems: string[]): LdifRecord[] {
  const physical = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const groups: { lines: string[]; line: number }[] = [];
  let current: { lines: string[]; line: number } | null = null;
  let inComment = false;
  physical.forEach((line, n) => {
    if (line.startsWith(' ')) {
      // Continuation of the previous logical line (or of a comment).
      if (inComment) return;
      if (current && current.lines.length > 0) current.lines[current.lines.length - 1] += line.slice(1);
      else problems.push(`line ${n + 1}: continuation line without a preceding line`);
      return;
    }
    inComment = line.startsWith('#');
    if (inComment) return;
    if (line.trim() === '') {
      current = null;
      return;
    }
    if (!current) groups.push((current = { lines: [], line: n + 1 }));
    current.lines.push(line);
  });
  const records: LdifRecord[] = [];
  for (const g of groups) {
    const attributes: LdifAttribute[] = [];
    for (const l of g.lines) {
      const m = /^([A-Za-z0-9][A-Za-z0-9;.-]*)[ \t]*:(:|<)?[ \t]*(.*)$/.exec(l);
      if (!m) {
        problems.push(`record at line ${g.line}: unreadable line "${l.slice(0, 60)}"`);
        continue;
      }
      const [type, ...options] = m[1].split(';');
      if (m[2] === '<') {
        problems.push(`record at line ${g.line}: URL value for ${type} not fetched`);
        continue;
      }
      const base64 = m[2] === ':';
      attributes.push({
        type: type.toLowerCase(),
        options: options.map((o) => o.toLowerCase()),
        value: base64
          ? Buffer.from(m[3].replace(/\s+/g, ''), 'base64')
          : Buffer.from(m[3].replace(/\s+$/, ''), 'utf8'),
        base64,
      });
    }
    if (attributes.length === 1 && attributes[0].type === 'version') continue;
    const dnAttr = attributes[0];
    if (!dnAttr || dnAttr.type !== 'dn') {
      problems.push(`record at line ${g.line}: does not start with dn:`);
      continue;
    }
    records.push({
      dn: decodeUtf8OrLatin1(dnAttr.value).trim(),
      attributes: attributes.slice(1),
      line: g.line,
    });
  }
  return records;
}

/** RFC 4514 DN → [type, value] pairs, most specific first. */
export function parseDn(dn: string): [string, string][] {
  const rdns: [string, string][] = [];
  let cur = '';
  const flush = (): void => {
    const eq = cur.indexOf('=');
    if (eq > 0) rdns.push([cur.slice(0, eq).trim().toLowerCase(), unescapeDnValue(cur.slice(eq + 1).trim())]);
    cur = '';
  };
  for (let i = 0; i < dn.length; i++) {
    if (dn[i] === '\\' && i + 1 < dn.length) {
      cur += dn[i] + dn[++i];
    } else if (dn[i] === ',' || dn[i] === ';') flush();
    else cur += dn[i];
  }
  flush();
  return rdns;
}

function unescapeDnValue(v: string): string {
  const bytes: number[] = [];
  const s = v.startsWith('"') && v.endsWith('"') && v.length >= 2 ? v.slice(1, -1) : v;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (s[i] === '\\' && i + 1 < s.length) {
      bytes.push(...Buffer.from(s[++i], 'utf8'));
    } else bytes.push(...Buffer.from(s[i], 'utf8'));
  }
  return decodeUtf8OrLatin1(Buffer.from(bytes));
}

/** A providerCertificate value: DER, or PEM / bare base64 text (seen in hand-made files). */
function certificateValue(a: LdifAttribute): Buffer[] {
  const asText = a.value.toString('latin1');
  if (asText.includes('-----BEGIN')) return pemCertificates(asText);
  if (a.value[0] === 0x30) return [a.value];
  if (!a.base64 && /^[A-Za-z0-9+/=\s]+$/.test(asText))
    return [Buffer.from(asText.replace(/\s+/g, ''), 'base64')];
  return [a.value];
}

export interface ParsedProviderIndex {
  index: ProviderIndex;
  /** `LDIFLocationURL` of the `o=postacert` entry (where the whole directory is published). */
  directoryLocationUrl: string | null;
  problems: string[];
}

/** Parses the LDIF text (or bytes) of the index or of one provider's record. Never throws. */
export function parseProviderLdif(input: string | Buffer): ParsedProviderIndex {
  const problems: string[] = [];
  const text = typeof input === 'string' ? input : decodeUtf8OrLatin1(input);
  const records = ldifRecords(text, problems);
  const providers: ProviderRecord[] = [];
  let directoryLocationUrl: string | null = null;
  for (const r of records) {
    const where = `entry "${r.dn}"`;
    const changetype = r.attributes
      .find((a) => a.type === 'changetype')
      ?.value.toString()
      .trim()
      .toLowerCase();
    if (changetype && changetype !== 'add') {
      problems.push(`${where}: changetype ${changetype} ignored`);
      continue;
    }
    const values = (type: string): string[] =>
      r.attributes
        .filter((a) => a.type === type.toLowerCase())
        .map((a) => decodeUtf8OrLatin1(a.value).trim());
    const rdns = parseDn(r.dn);
    const isProvider = rdns.some(([t]) => t === 'providername') || values('providerName').length > 0;
    if (!isProvider) {
      if (rdns.length === 1 && rdns[0][0] === 'o' && rdns[0][1].toLowerCase() === 'postacert') {
        directoryLocationUrl = values('LDIFLocationURL')[0] ?? null;
      }
      continue;
    }
    if (!rdns.some(([t, v]) => t === 'o' && v.toLowerCase() === 'postacert'))
      problems.push(`${where}: not under o=postacert`);
    const providerName = values('providerName')[0] ?? rdns.find(([t]) => t === 'providername')?.[1] ?? '';
    const certificates: Buffer[] = [];
    for (const a of r.attributes.filter((x) => x.type === 'providercertificate')) {
      for (const der of certificateValue(a)) {
        try {
          certificates.push(readCertificate(der).der);
        } catch {
          problems.push(`${where}: a providerCertificate value is not a certificate`);
        }
      }
    }
    const computed = certificates.map((c) => readCertificate(c).sha1);
    const declared = values('providerCertificateHash').map(normalizeCertificateHash).filter(Boolean);
    for (const h of declared) {
      if (certificates.length > 0 && !computed.includes(h))
        problems.push(`${where}: providerCertificateHash ${h} matches no providerCertificate`);
    }
    const mailReceipt = values('mailReceipt')[0]?.replace(/^<|>$/g, '').toLowerCase() ?? null;
    const managedDomains = [...new Set(values('managedDomains').map(normalizeDomain).filter(Boolean))];
    if (!providerName) problems.push(`${where}: missing providerName`);
    if (certificates.length === 0 && declared.length === 0)
      problems.push(`${where}: no providerCertificate nor providerCertificateHash`);
    if (!mailReceipt) problems.push(`${where}: missing mailReceipt`);
    if (managedDomains.length === 0) problems.push(`${where}: missing managedDomains`);
    providers.push({
      dn: r.dn,
      providerName,
      providerUnit: values('providerUnit')[0] ?? rdns.find(([t]) => t === 'providerunit')?.[1] ?? null,
      certificates,
      certificateHashes: [...new Set([...declared, ...computed])],
      mailReceipt,
      managedDomains,
      ldifLocationUrl: values('LDIFLocationURL')[0] ?? null,
      description: values('description')[0] ?? null,
    });
  }
  return { index: new ProviderIndex(providers), directoryLocationUrl, problems };
}

/**
 * An index made from bare certificates (a `--trust` PEM file). Each certificate becomes a
 * provider named after its Subject O (else CN) whose managed domains are the domains of the
 * certificate's email addresses, the service address being `posta-certificata@<domain>`.
 */
export function providerIndexFromCertificates(ders: Buffer[]): ProviderIndex {
  return new ProviderIndex(
    ders.map((der) => {
      const c = readCertificate(der);
      const subject = c.x509.subject;
      const name = /^O=(.+)$/m.exec(subject)?.[1] ?? /^CN=(.+)$/m.exec(subject)?.[1] ?? c.sha1;
      const emails = [...(c.x509.subjectAltName ?? '').matchAll(/email:([^,\s]+)/g)].map((m) =>
        m[1].toLowerCase(),
      );
      return {
        dn: `providerName=${escapeDnValue(name)},o=postacert`,
        providerName: name,
        providerUnit: null,
        certificates: [c.der],
        certificateHashes: [c.sha1],
        mailReceipt: emails[0] ?? null,
        managedDomains: [...new Set(emails.map((e) => normalizeDomain(e.slice(e.lastIndexOf('@') + 1))))],
        ldifLocationUrl: null,
        description: null,
      };
    }),
  );
}

// ---------------------------------------------------------------- LDIF writing

export interface ProviderLdifInput {
  providerName: string;
  providerUnit?: string | null;
  /** DER buffers or PEM text. */
  certificates: (Buffer | string)[];
  mailReceipt: string;
  managedDomains: string[];
  ldifLocationUrl?: string | null;
  description?: string | null;
}

function escapeDnValue(v: string): string {
  return v
    .replace(/[\\,+"<>;=]/g, (c) => `\\${c}`)
    .replace(/^([ #])/, '\\$1')
    .replace(/ $/, '\\ ');
}

/** RFC 2849 SAFE-STRING test: otherwise the value must be written base64 (`::`). */
function isSafe(v: string): boolean {
  return !/[\x00\r\n\x80-\uffff]/.test(v) && !/^[ :<]/.test(v) && !/ $/.test(v);
}

/** Folds at 76 columns: continuation lines start with one space. */
function fold(line: string): string {
  if (line.length <= 76) return line;
  const out = [line.slice(0, 76)];
  for (let i = 76; i < line.length; i += 75) out.push(` ${line.slice(i, i + 75)}`);
  return out.join('\n');
}

function attrLine(type: string, value: string | Buffer): string {
  if (Buffer.isBuffer(value)) return fold(`${type}:: ${value.toString('base64')}`);
  return fold(
    isSafe(value) ? `${type}: ${value}` : `${type}:: ${Buffer.from(value, 'utf8').toString('base64')}`,
  );
}

function toDer(c: Buffer | string): Buffer {
  if (Buffer.isBuffer(c)) return c;
  const pems = pemCertificates(c);
  if (pems.length === 0) throw new Error('formatProviderLdif: certificate text is not PEM');
  return pems[0];
}

/** Writes provider records as LDIF (`version: 1`, one entry each), ready for the index. */
export function formatProviderLdif(input: ProviderLdifInput | ProviderLdifInput[]): string {
  const providers = Array.isArray(input) ? input : [input];
  const out = ['version: 1'];
  for (const p of providers) {
    const dn = `${p.providerUnit ? `providerUnit=${escapeDnValue(p.providerUnit)},` : ''}providerName=${escapeDnValue(p.providerName)},o=postacert`;
    const certs = p.certificates.map(toDer);
    const lines = [
      '',
      attrLine('dn', dn),
      'objectClass: top',
      'objectClass: provider',
      ...(p.ldifLocationUrl && !p.providerUnit ? ['objectClass: LDIFLocationURLObject'] : []),
      attrLine('providerName', p.providerName),
      ...(p.providerUnit ? [attrLine('providerUnit', p.providerUnit)] : []),
      ...(p.description ? [attrLine('description', p.description)] : []),
      ...certs.map((c) => `providerCertificateHash: ${readCertificate(c).sha1}`),
      ...certs.map((c) => attrLine('providerCertificate;binary', c)),
      attrLine('mailReceipt', p.mailReceipt),
      ...p.managedDomains.map((d) => attrLine('managedDomains', d)),
      ...(p.ldifLocationUrl && !p.providerUnit ? [attrLine('LDIFLocationURL', p.ldifLocationUrl)] : []),
    ];
    out.push(...lines);
  }
  return `${out.join('\n')}\n`;
}
