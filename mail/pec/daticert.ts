/**
 * daticert.xml: the certification data every PEC message (except the busta di anomalia) carries.
 * Programs must read only this file, never the human text (spec §2.1, §3). The writer follows the
 * DTD (mail/pec/daticert.dtd) element order exactly; the parser accepts what real providers send.
 */
import { SaxesParser } from 'saxes';
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

/** An element as the parser saw it: attributes, child elements and its own text, entities decoded. */
interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/** Besides XML's five, the HTML names Italian text uses; unknown names are left as written. */
const htmlEntities: Record<string, string> = {
  nbsp: '\u00A0',
  agrave: 'à', egrave: 'è', eacute: 'é', igrave: 'ì', ograve: 'ò', ugrave: 'ù',
  Agrave: 'À', Egrave: 'È', Eacute: 'É', Igrave: 'Ì', Ograve: 'Ò', Ugrave: 'Ù', euro: '€', deg: '°',
};

/**
 * Character-level faults real producers make (an HTML entity name, a stray "]]>"): the text is
 * kept as written. Anything structural (unbalanced or misnamed tags, bad attributes, a second root,
 * junk outside the root) makes the file malformed.
 */
const toleratedFaults = /^(undefined entity|malformed character entity|the string "\]\]>" is disallowed in char data)\.$/;

const badEntityName = /^(disallowed character in entity name|empty entity name)\.$/;
const bareAmpersand = /&(?!#[0-9]+;|#x[0-9a-fA-F]+;|[A-Za-z_:][-\w.:]*;)/;

/** Characters XML 1.0 forbids even as references: control characters a subject may carry. */
const forbiddenCharacters = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const characterReference = /&#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}));/g;

/** Whether XML 1.0 allows the code point (its Char production). */
const isXmlChar = (c: number) =>
  c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);

/** A forbidden character, written or referenced (real files hold `&#18;` for an apostrophe), becomes U+FFFD. */
function replaceForbiddenCharacters(xml: string): string {
  return xml
    .replace(forbiddenCharacters, '\uFFFD')
    .replace(characterReference, (ref, hex?: string, dec?: string) =>
      isXmlChar(hex ? parseInt(hex, 16) : Number(dec)) ? ref : '\uFFFD',
    );
}

/**
 * The XML declaration carries nothing we use (the encoding was honoured when decoding) and some
 * producers write it loosely or after a blank line: it is dropped, keeping its line breaks so
 * error lines stay true.
 */
const xmlDeclaration = /^\s*<\?xml\s[\s\S]*?\?>/;

/**
 * Reads the document into a tree in one pass of a strict XML parser (saxes), tolerating only the
 * faults above; a forbidden character becomes U+FFFD. The error names the line, as a person fixing
 * the producer needs.
 */
function readXml(document: string): XmlElement | undefined {
  const xml = replaceForbiddenCharacters(
    document.replace(xmlDeclaration, (declaration) => declaration.replace(/[^\n]/g, '')),
  );
  const parser = new SaxesParser({ position: true });
  Object.assign(parser.ENTITIES, htmlEntities);
  const open: XmlElement[] = [];
  let root: XmlElement | undefined;
  let fault: { line: number; message: string } | undefined;
  parser.on('error', (err) => {
    // saxes prefixes "line:column: "; the line is taken from the parser below
    const message = err.message.replace(/^\d+:\d+: /, '');
    if (fault || toleratedFaults.test(message)) return;
    // A bare "&" is only reported at the next ";", maybe lines later: name the line of the first.
    const bare = badEntityName.test(message) ? bareAmpersand.exec(xml) : null;
    const line = bare ? xml.slice(0, bare.index).split('\n').length : parser.line;
    fault = { line, message: bare ? `"&" that starts no entity reference (write &amp;)` : message };
  });
  parser.on('opentag', (tag) => {
    const element: XmlElement = { name: tag.name, attributes: tag.attributes as Record<string, string>, children: [], text: '' };
    const parent = open.at(-1);
    if (parent) parent.children.push(element);
    else root ??= element;
    open.push(element);
  });
  const addText = (t: string) => {
    const current = open.at(-1);
    if (current) current.text += t;
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  parser.on('closetag', () => void open.pop());
  parser.write(xml).close();
  if (fault) throw new DaticertError(`daticert: malformed XML at line ${fault.line}: ${fault.message}`);
  return root;
}

/** Text content of an element (its own text; mixed-in child elements are not part of it). */
function text(element: XmlElement | undefined): string | undefined {
  return element?.text.trim();
}

function attr(element: XmlElement | undefined, name: string): string | undefined {
  return element?.attributes[name]?.trim();
}

function child(element: XmlElement | undefined, name: string): XmlElement | undefined {
  return element?.children.find((c) => c.name === name);
}

function children(element: XmlElement | undefined, name: string): XmlElement[] {
  return element?.children.filter((c) => c.name === name) ?? [];
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
  const document = readXml(xml);
  const root = document?.name === 'postacert' ? document : undefined;
  if (!root) throw new DaticertError('daticert: root element <postacert> not found');

  const tipo = required(attr(root, 'tipo'), 'postacert/@tipo');
  assertOneOf(tipo, daticertTipi, 'tipo');
  const errore = attr(root, 'errore') || 'nessuno';
  assertOneOf(errore, daticertErrori, 'errore');

  const int = child(root, 'intestazione');
  const dati = child(root, 'dati');
  if (!int) throw new DaticertError('daticert: missing intestazione');
  if (!dati) throw new DaticertError('daticert: missing dati');

  const destinatari = children(int, 'destinatari').flatMap((d): DaticertDestinatario[] => {
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
  const ricezione = children(dati, 'ricezione').map(text).filter((r): r is string => !!r);
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
