/**
 * daticert.xml: the certification data every PEC message (except the busta di anomalia) carries.
 * Programs must read only this file, never the human text (spec §2.1, §3). The writer follows the
 * DTD (mail/pec/daticert.dtd) element order exactly; the parser accepts what real providers send.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { pecLocalTimeToIso, type PecLocalTime } from './time';

export const daticertTipi = [
  'accettazione',
  'non-accettazione',
  'presa-in-carico',
  'avvenuta-consegna',
  'posta-certificata',
  'errore-consegna',
  'preavviso-errore-consegna',
  'rilevazione-virus',
] as const;
/** postacert/@tipo: which PEC message this is. */
export type DaticertTipo = (typeof daticertTipi)[number];

export const daticertErrori = ['nessuno', 'no-dest', 'no-dominio', 'virus', 'altro'] as const;
/** postacert/@errore (DTD default "nessuno"). */
export type DaticertErrore = (typeof daticertErrori)[number];

export const tipiRicevuta = ['completa', 'breve', 'sintetica'] as const;
/** Delivery receipt type the sender asked for (X-TipoRicevuta, ricevuta/@tipo). */
export type TipoRicevuta = (typeof tipiRicevuta)[number];

/** certificato = recipient in a PEC domain; esterno = ordinary mail. */
export type TipoDestinatario = 'certificato' | 'esterno';

export interface DaticertDestinatario {
  address: string;
  tipo: TipoDestinatario;
}

/** Data of the original message (intestazione). */
export interface DaticertIntestazione {
  /** Sender (reverse-path address). */
  mittente: string;
  /** Every To/Cc recipient, at least one. */
  destinatari: DaticertDestinatario[];
  /** Original Reply-To; providers write the sender when there is none. */
  risposte: string;
  /** Original subject, decoded text. */
  oggetto?: string;
}

/** Certification data (dati). */
export interface DaticertDati {
  /** Provider name as free text, e.g. "ARUBA PEC S.p.A.". */
  gestoreEmittente: string;
  data: PecLocalTime;
  /** PEC msgid of the busta, without angle brackets. */
  identificativo: string;
  /** Client Message-ID, with its angle brackets. */
  msgid?: string;
  ricevuta?: TipoRicevuta;
  /** The one recipient a delivery/non-delivery/timeout/virus notice is about. */
  consegna?: string;
  /** Recipients covered by a presa in carico. */
  ricezione?: string[];
  erroreEsteso?: string;
}

export interface Daticert {
  tipo: DaticertTipo;
  errore: DaticertErrore;
  intestazione: DaticertIntestazione;
  dati: DaticertDati;
}

/** Parser output: the data plus the event instant as ISO-8601 with offset. */
export interface ParsedDaticert extends Daticert {
  /** e.g. `2014-11-14T18:26:32+01:00` */
  date: string;
}

export class DaticertError extends Error {
  override name = 'DaticertError';
}

// XML 1.0 forbids most C0 controls even as character references: drop them rather than emit
// a file no validator accepts.
const forbiddenXmlChars = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** Escapes text for element content and double-quoted attributes. */
export function escapeXml(text: string): string {
  return text
    .replace(forbiddenXmlChars, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function assertOneOf<T extends string>(value: string, allowed: readonly T[], what: string): asserts value is T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new DaticertError(`daticert: invalid ${what} "${value}" (allowed: ${allowed.join(', ')})`);
  }
}

/** Serialises to UTF-8 XML text (declaration included) that validates against the DTD. */
export function writeDaticert(d: Daticert): string {
  assertOneOf(d.tipo, daticertTipi, 'tipo');
  assertOneOf(d.errore, daticertErrori, 'errore');
  if (d.intestazione.destinatari.length === 0) throw new DaticertError('daticert: at least one destinatari is required');
  if (!/^[+-]\d{4}$/.test(d.dati.data.zona)) throw new DaticertError(`daticert: invalid zona "${d.dati.data.zona}"`);
  const { intestazione: i, dati } = d;
  const el = (name: string, text: string, indent: string): string => `${indent}<${name}>${escapeXml(text)}</${name}>`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<postacert tipo="${d.tipo}" errore="${d.errore}">`,
    '    <intestazione>',
    el('mittente', i.mittente, '        '),
    ...i.destinatari.map(
      (r) => `        <destinatari tipo="${r.tipo === 'esterno' ? 'esterno' : 'certificato'}">${escapeXml(r.address)}</destinatari>`,
    ),
    el('risposte', i.risposte, '        '),
    ...(i.oggetto !== undefined ? [el('oggetto', i.oggetto, '        ')] : []),
    '    </intestazione>',
    '    <dati>',
    el('gestore-emittente', dati.gestoreEmittente, '        '),
    `        <data zona="${dati.data.zona}">`,
    el('giorno', dati.data.giorno, '            '),
    el('ora', dati.data.ora, '            '),
    '        </data>',
    el('identificativo', dati.identificativo, '        '),
    ...(dati.msgid !== undefined ? [el('msgid', dati.msgid, '        ')] : []),
  ];
  if (dati.ricevuta !== undefined) {
    assertOneOf(dati.ricevuta, tipiRicevuta, 'ricevuta tipo');
    lines.push(`        <ricevuta tipo="${dati.ricevuta}" />`);
  }
  if (dati.consegna !== undefined) lines.push(el('consegna', dati.consegna, '        '));
  for (const r of dati.ricezione ?? []) lines.push(el('ricezione', r, '        '));
  if (dati.erroreEsteso !== undefined) lines.push(el('errore-esteso', dati.erroreEsteso, '        '));
  lines.push('    </dati>', '</postacert>', '');
  return lines.join('\n');
}

/**
 * Bytes to text honouring the declared encoding. Real files are UTF-8, but ISO-8859-1 is declared
 * by some producers, and a file declared UTF-8 may still hold Latin-1 bytes: fall back to Latin-1
 * when the bytes are not valid UTF-8.
 */
function decodeXmlBytes(bytes: Uint8Array): string {
  const head = Buffer.from(bytes.subarray(0, 200)).toString('latin1');
  const declared = /^\uFEFF?\s*<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']/i.exec(head.replace(/^\xEF\xBB\xBF/, ''))?.[1];
  const enc = declared?.toLowerCase();
  if (enc && /^(iso-8859-1|iso8859-1|latin-?1|windows-1252|cp1252|us-ascii|ascii)$/.test(enc)) {
    return Buffer.from(bytes).toString('latin1');
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return Buffer.from(bytes).toString('latin1');
  }
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  // Entities are decoded by decodeEntities below, so HTML names and numeric references that
  // some producers emit are understood too.
  processEntities: false,
  isArray: (name) => name === 'destinatari' || name === 'ricezione',
});

type Node = Record<string, unknown>;

const namedEntities: Record<string, string> = {
  lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: '\u00A0',
  agrave: 'à', egrave: 'è', eacute: 'é', igrave: 'ì', ograve: 'ò', ugrave: 'ù',
  Agrave: 'À', Egrave: 'È', Eacute: 'É', Igrave: 'Ì', Ograve: 'Ò', Ugrave: 'Ù', euro: '€', deg: '°',
};

/** XML entities plus the HTML names Italian text uses; unknown names are left as written. */
function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z]+);/g, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return namedEntities[ref] ?? whole;
  });
}

/** Text content of an element whatever shape the parser gave it (plain, with attributes, mixed). */
function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return decodeEntities(String(value)).trim();
  if (Array.isArray(value)) return text(value[0]);
  if (typeof value === 'object') {
    const t = (value as Node)['#text'];
    return t === undefined ? '' : decodeEntities(String(t)).trim();
  }
  return undefined;
}

function attr(node: unknown, name: string): string | undefined {
  if (node && typeof node === 'object' && !Array.isArray(node)) {
    const v = (node as Node)[`@_${name}`];
    return v === undefined ? undefined : decodeEntities(String(v)).trim();
  }
  return undefined;
}

function child(node: unknown, name: string): unknown {
  return node && typeof node === 'object' && !Array.isArray(node) ? (node as Node)[name] : undefined;
}

/** Some producers escape twice (`&amp;lt;id@host&amp;gt;`); the msgid is always `<…>` underneath. */
function unescapeMsgid(msgid: string): string {
  return /^&lt;.*&gt;$/s.test(msgid) ? msgid.replace(/^&lt;/, '<').replace(/&gt;$/, '>') : msgid;
}

function required(value: string | undefined, what: string): string {
  if (value === undefined || value === '') throw new DaticertError(`daticert: missing ${what}`);
  return value;
}

/**
 * Parses daticert.xml (Buffer or already decoded text). Throws DaticertError on malformed XML or
 * when a mandatory element (tipo, mittente, a destinatari, gestore-emittente, data, identificativo)
 * is absent; optional elements may be missing.
 */
export function parseDaticert(input: Uint8Array | string): ParsedDaticert {
  const xml = (typeof input === 'string' ? input : decodeXmlBytes(input)).replace(/^\uFEFF/, '');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new DaticertError(`daticert: malformed XML at line ${valid.err.line}: ${valid.err.msg}`);
  }
  const root = child(parser.parse(xml) as Node, 'postacert');
  if (!root || typeof root !== 'object') throw new DaticertError('daticert: root element <postacert> not found');

  const tipo = required(attr(root, 'tipo'), 'postacert/@tipo');
  assertOneOf(tipo, daticertTipi, 'tipo');
  const errore = attr(root, 'errore') || 'nessuno';
  assertOneOf(errore, daticertErrori, 'errore');

  const int = child(root, 'intestazione');
  const dati = child(root, 'dati');
  if (!int) throw new DaticertError('daticert: missing intestazione');
  if (!dati) throw new DaticertError('daticert: missing dati');

  const destinatari = ((child(int, 'destinatari') as unknown[] | undefined) ?? []).flatMap((d): DaticertDestinatario[] => {
    const address = text(d);
    if (!address) return [];
    return [{ address, tipo: attr(d, 'tipo')?.toLowerCase() === 'esterno' ? 'esterno' : 'certificato' }];
  });
  if (destinatari.length === 0) throw new DaticertError('daticert: missing destinatari');

  const mittente = required(text(child(int, 'mittente')), 'mittente');
  const dataNode = child(dati, 'data');
  const data: PecLocalTime = {
    giorno: required(text(child(dataNode, 'giorno')), 'data/giorno'),
    ora: required(text(child(dataNode, 'ora')), 'data/ora'),
    zona: required(attr(dataNode, 'zona'), 'data/@zona'),
  };
  let date: string;
  try {
    date = pecLocalTimeToIso(data);
  } catch (err) {
    throw new DaticertError(`daticert: ${(err as Error).message}`);
  }

  const parsedDati: DaticertDati = {
    gestoreEmittente: required(text(child(dati, 'gestore-emittente')), 'gestore-emittente'),
    data,
    identificativo: required(text(child(dati, 'identificativo')), 'identificativo').replace(/^<(.*)>$/, '$1'),
  };
  const msgid = text(child(dati, 'msgid'));
  if (msgid) parsedDati.msgid = unescapeMsgid(msgid);
  const ricevuta = attr(child(dati, 'ricevuta'), 'tipo')?.toLowerCase();
  if (ricevuta) {
    assertOneOf(ricevuta, tipiRicevuta, 'ricevuta tipo');
    parsedDati.ricevuta = ricevuta;
  }
  const consegna = text(child(dati, 'consegna'));
  if (consegna) parsedDati.consegna = consegna;
  const ricezione = ((child(dati, 'ricezione') as unknown[] | undefined) ?? []).map(text).filter((r): r is string => !!r);
  if (ricezione.length > 0) parsedDati.ricezione = ricezione;
  const erroreEsteso = text(child(dati, 'errore-esteso'));
  if (erroreEsteso) parsedDati.erroreEsteso = erroreEsteso;

  const intestazione: DaticertIntestazione = {
    mittente,
    destinatari,
    // Missing risposte is a DTD violation seen in the wild; the sender is what providers put there.
    risposte: text(child(int, 'risposte')) || mittente,
  };
  const oggetto = text(child(int, 'oggetto'));
  if (oggetto !== undefined) intestazione.oggetto = oggetto;

  return { tipo, errore, intestazione, dati: parsedDati, date };
}
