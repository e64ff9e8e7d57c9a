/**
 * Reads one message and says what it is in PEC terms (spec §2.2, §3, §4.2): the kind from the
 * provider headers (X-Trasporto, X-Ricevuta; names case-insensitive) cross-checked with daticert
 * `tipo`, the receipt type, the error, the parsed daticert, the signature verdict and a list of
 * human-readable problems. Pure: bytes in, report out; it never throws for any input.
 *
 * Receipt type: for a busta it is the `X-TipoRicevuta` header (null when absent, as the samples
 * README records it; daticert `ricevuta` is cross-checked); for an avvenuta-consegna it is daticert
 * `ricevuta`, else derived from the structure (postacert.eml with `.hash` parts: breve, without
 * them: completa, no postacert.eml: sintetica); other kinds have none. `error` is daticert
 * `errore` unless it is `nessuno` (then null).
 */
import {
  parseDaticert,
  type DaticertErrore,
  type DaticertTipo,
  type ParsedDaticert,
  type TipoRicevuta,
} from './daticert';
import { decodeBody, readMime, walkEntities, type MimeEntity } from './mime';
import { verifySignedMessage, type SignatureVerdict } from './smime-verify';
import type { TrustStore } from './trust-store';

export const pecKinds = [
  'posta-certificata',
  'accettazione',
  'non-accettazione',
  'presa-in-carico',
  'avvenuta-consegna',
  'errore-consegna',
  'preavviso-errore-consegna',
  'rilevazione-virus',
  'anomalia',
  'non-pec',
] as const;
export type PecKind = (typeof pecKinds)[number];

export interface InspectReport {
  kind: PecKind;
  receiptType: TipoRicevuta | null;
  /** daticert `errore` other than `nessuno`, else null. */
  error: Exclude<DaticertErrore, 'nessuno'> | null;
  signature: SignatureVerdict;
  /** Parsed daticert.xml (`date` is ISO-8601 with offset), null when absent or unreadable. */
  daticert: ParsedDaticert | null;
  /** Decoded Subject. */
  subject: string | null;
  messageId: string | null;
  riferimentoMessageId: string | null;
  problems: string[];
  /** Bytes of the embedded original (postacert.eml, or the wrapped message of an anomalia). */
  original: Buffer | null;
}

export interface InspectOptions {
  /** Trust anchors and provider index; without it `signature.trusted` is null. */
  trust?: TrustStore | null;
  /** Reference time for certificate validity when the signature has no signingTime. */
  now?: Date;
}

/** The report as the CLI prints it: everything except the original's bytes. */
export type InspectJson = Omit<InspectReport, 'original'>;

export function inspectReportJson(report: InspectReport): InspectJson {
  const { original: _original, ...json } = report;
  return json;
}

/** Largest daticert.xml we parse: real ones are ~1 KB. */
const maxDaticertBytes = 1024 * 1024;

const ricevutaKinds: Record<string, PecKind> = {
  accettazione: 'accettazione',
  'non-accettazione': 'non-accettazione',
  'presa-in-carico': 'presa-in-carico',
  'avvenuta-consegna': 'avvenuta-consegna',
  'errore-consegna': 'errore-consegna',
  'preavviso-errore-consegna': 'preavviso-errore-consegna',
  'rilevazione-virus': 'rilevazione-virus',
};

/** Subject prefixes per kind (spec §2.2); virus and timeout variants share the first words. */
const subjectPrefixes: Partial<Record<PecKind, string[]>> = {
  'posta-certificata': ['POSTA CERTIFICATA:'],
  accettazione: ['ACCETTAZIONE:'],
  'non-accettazione': ['AVVISO DI NON ACCETTAZIONE'],
  'presa-in-carico': ['PRESA IN CARICO:'],
  'avvenuta-consegna': ['CONSEGNA:'],
  'errore-consegna': ['AVVISO DI MANCATA CONSEGNA'],
  'preavviso-errore-consegna': ['AVVISO DI MANCATA CONSEGNA'],
  'rilevazione-virus': ['PROBLEMA DI SICUREZZA:'],
  anomalia: ['ANOMALIA MESSAGGIO:'],
};

const receiptTypes: readonly string[] = ['completa', 'breve', 'sintetica'];

/** The addr-spec of an address header: the last `<…>`, else the first bare token with `@`. */
export function addressOf(value: string | undefined): string | null {
  if (!value) return null;
  const angled = [...value.matchAll(/<([^<>\s]+@[^<>\s]+)>/g)].pop();
  if (angled) return angled[1].toLowerCase();
  const bare = /([^\s<>"(),;:]+@[^\s<>"(),;:]+)/.exec(value.replace(/"[^"]*"/g, ' '));
  return bare ? bare[1].toLowerCase() : null;
}

function domainOf(address: string | null): string | null {
  return address && address.includes('@') ? address.slice(address.lastIndexOf('@') + 1) : null;
}

interface Kinds {
  kind: PecKind;
  /** What the header said, for messages. */
  source: string | null;
}

function kindFromHeaders(root: MimeEntity, problems: string[]): Kinds {
  const trasporto = root.headers.get('x-trasporto')?.toLowerCase();
  const ricevuta = root.headers.get('x-ricevuta')?.toLowerCase();
  let fromTrasporto: PecKind | null = null;
  if (trasporto !== undefined) {
    if (trasporto === 'posta-certificata') fromTrasporto = 'posta-certificata';
    else if (trasporto === 'errore') fromTrasporto = 'anomalia';
    else problems.push(`unknown X-Trasporto value "${trasporto.slice(0, 60)}"`);
  }
  let fromRicevuta: PecKind | null = null;
  if (ricevuta !== undefined) {
    fromRicevuta = ricevutaKinds[ricevuta] ?? null;
    if (!fromRicevuta) problems.push(`unknown X-Ricevuta value "${ricevuta.slice(0, 60)}"`);
  }
  if (fromTrasporto && fromRicevuta) {
    problems.push('both X-Trasporto and X-Ricevuta are present');
    return { kind: fromRicevuta, source: `X-Ricevuta: ${ricevuta}` };
  }
  if (fromRicevuta) return { kind: fromRicevuta, source: `X-Ricevuta: ${ricevuta}` };
  if (fromTrasporto) return { kind: fromTrasporto, source: `X-Trasporto: ${trasporto}` };
  return { kind: 'non-pec', source: null };
}

/** Parts of the signed content, not descending into embedded messages. */
function contentParts(content: MimeEntity): MimeEntity[] {
  return [...walkEntities(content, false)];
}

function findDaticert(parts: MimeEntity[], problems: string[]): MimeEntity | null {
  const named = parts.filter((p) => p.filename?.trim().toLowerCase() === 'daticert.xml');
  if (named.length > 1) problems.push(`${named.length} daticert.xml parts (the first is used)`);
  return named[0] ?? null;
}

function findOriginal(parts: MimeEntity[], problems: string[]): MimeEntity | null {
  const messages = parts.filter((p) => p.mimeType === 'message/rfc822' || p.mimeType === 'message/global');
  const named = messages.filter((p) => p.filename?.trim().toLowerCase() === 'postacert.eml');
  if (named.length > 1) problems.push(`${named.length} postacert.eml parts (the first is used)`);
  return named[0] ?? messages[0] ?? null;
}

function hasHashParts(message: MimeEntity | null): boolean {
  if (!message) return false;
  for (const e of walkEntities(message, false)) if (e.filename?.toLowerCase().endsWith('.hash')) return true;
  return false;
}

function readDaticert(part: MimeEntity, problems: string[]): ParsedDaticert | null {
  if (part.body.length > maxDaticertBytes * 2) {
    problems.push(`daticert.xml larger than ${maxDaticertBytes} bytes, not read`);
    return null;
  }
  try {
    return parseDaticert(decodeBody(part, problems));
  } catch (err) {
    problems.push(`daticert.xml unreadable: ${(err as Error).message}`);
    return null;
  }
}

/** Element use per tipo (spec §3 table): what a well-formed daticert of each kind carries. */
function daticertShapeProblems(d: ParsedDaticert): string[] {
  const out: string[] = [];
  const { tipo, errore, dati } = d;
  if ((tipo === 'posta-certificata' || tipo === 'avvenuta-consegna') && !dati.ricevuta)
    out.push(`daticert ${tipo} without ricevuta`);
  const aboutOneRecipient = [
    'avvenuta-consegna',
    'errore-consegna',
    'preavviso-errore-consegna',
    'rilevazione-virus',
  ];
  if (aboutOneRecipient.includes(tipo) && !dati.consegna) out.push(`daticert ${tipo} without consegna`);
  if (tipo === 'presa-in-carico' && !dati.ricezione?.length)
    out.push('daticert presa-in-carico without ricezione');
  const mustFail = tipo === 'errore-consegna' || tipo === 'non-accettazione';
  if (mustFail && errore === 'nessuno') out.push(`daticert ${tipo} with errore "nessuno"`);
  const mustSucceed = ['posta-certificata', 'accettazione', 'presa-in-carico', 'avvenuta-consegna'];
  if (mustSucceed.includes(tipo) && errore !== 'nessuno')
    out.push(`daticert ${tipo} with errore "${errore}"`);
  return out;
}

/** Reader problems are labelled `part 1.3.m.2: …`; an `m` step means inside an embedded message. */
function insideEmbeddedMessage(problem: string): boolean {
  const path = /^part ([^:]+):/.exec(problem)?.[1];
  return path !== undefined && path.split('.').includes('m');
}

function cleanId(v: string | undefined): string | null {
  return v === undefined ? null : v.replace(/\s+/g, '');
}

function inspect(raw: Buffer, opts: InspectOptions, report: InspectReport): void {
  const problems = report.problems;
  const mime = readMime(raw);
  const root = mime.root;
  const h = root.headers;
  report.subject = h.decoded('subject') ?? null;
  report.messageId = cleanId(h.get('message-id'));
  report.riferimentoMessageId = cleanId(h.get('x-riferimento-message-id'));
  const { kind: headerKind } = kindFromHeaders(root, problems);
  report.kind = headerKind;

  const fromAddress = addressOf(h.get('from'));
  const signed = verifySignedMessage(root, {
    trust: opts.trust,
    now: opts.now,
    senderDomain: domainOf(fromAddress),
  });
  report.signature = signed.verdict;
  const v = signed.verdict;
  const isPec = headerKind !== 'non-pec';

  const content = signed.content ?? root;
  const parts = contentParts(content);
  const daticertPart = findDaticert(parts, problems);
  const daticert = daticertPart ? readDaticert(daticertPart, problems) : null;
  report.daticert = daticert;
  const originalPart = findOriginal(parts, problems);
  if (originalPart) report.original = originalPart.message?.raw ?? decodeBody(originalPart, problems);

  if (!isPec) {
    if (daticertPart)
      problems.push('daticert.xml present but no X-Trasporto or X-Ricevuta header: not a PEC message');
  } else {
    // Signature
    if (!v.present) problems.push('PEC message without S/MIME signature');
    else if (!v.intact) problems.push(`signature not intact (${v.code}): ${v.detail}`);
    else if (v.trusted === false) problems.push(`signature not trusted (${v.code}): ${v.detail}`);
    if (v.canonicalized)
      problems.push('signature verifies only over the CRLF-canonical form (LF line ends in transit)');
    if (v.signer && fromAddress && v.signer.emails.length > 0 && !v.signer.emails.includes(fromAddress)) {
      problems.push(
        `From address ${fromAddress} differs from the signer certificate's ${v.signer.emails.join(', ')}`,
      );
    }

    // daticert
    if (headerKind === 'anomalia') {
      if (daticertPart) problems.push('busta di anomalia must not carry daticert.xml');
    } else if (!daticertPart) {
      problems.push('daticert.xml missing');
    } else if (daticert && (daticert.tipo as string) !== headerKind) {
      problems.push(`headers say ${headerKind} but daticert tipo is ${daticert.tipo}`);
    }
    if (daticert) {
      if (daticert.errore !== 'nessuno') report.error = daticert.errore;
      problems.push(...daticertShapeProblems(daticert));
      const msgid = daticert.dati.msgid;
      if (msgid && report.riferimentoMessageId && msgid.replace(/\s+/g, '') !== report.riferimentoMessageId) {
        problems.push(
          `X-Riferimento-Message-ID ${report.riferimentoMessageId} differs from daticert msgid ${msgid}`,
        );
      }
    }

    // Subject prefix
    const prefixes = subjectPrefixes[headerKind] ?? [];
    const subject = (report.subject ?? '').trimStart().toUpperCase();
    if (prefixes.length > 0 && !prefixes.some((p) => subject.startsWith(p))) {
      problems.push(`Subject does not start with "${prefixes[0]}"`);
    }

    // Original and receipt type
    if ((headerKind === 'posta-certificata' || headerKind === 'anomalia') && !originalPart) {
      problems.push(
        headerKind === 'anomalia' ? 'busta di anomalia without the wrapped message' : 'postacert.eml missing',
      );
    }
    if (headerKind === 'posta-certificata') {
      const header = h.get('x-tiporicevuta')?.toLowerCase();
      if (header !== undefined) {
        if (receiptTypes.includes(header)) report.receiptType = header as TipoRicevuta;
        else problems.push(`unknown X-TipoRicevuta value "${header.slice(0, 60)}"`);
      }
      if (report.receiptType && daticert?.dati.ricevuta && daticert.dati.ricevuta !== report.receiptType) {
        problems.push(
          `X-TipoRicevuta ${report.receiptType} differs from daticert ricevuta ${daticert.dati.ricevuta}`,
        );
      }
    } else if (headerKind === 'avvenuta-consegna') {
      const structural: TipoRicevuta = !originalPart
        ? 'sintetica'
        : hasHashParts(originalPart.message)
          ? 'breve'
          : 'completa';
      const declared = daticert?.dati.ricevuta;
      report.receiptType = declared ?? structural;
      if (declared && declared !== structural) {
        problems.push(`daticert ricevuta ${declared} but the receipt is shaped as ${structural}`);
      }
    }
  }
  // Damage inside the embedded original is the sender's content, not a PEC format problem: a
  // reception point must not turn a valid busta into an anomaly because of it.
  const envelopeProblems = [...mime.problems, ...signed.problems].filter((p) => !insideEmbeddedMessage(p));
  problems.push(...envelopeProblems.map((p) => `MIME: ${p}`));
}

/** Classifies and verifies one message. Never throws: any damage ends up in `problems`. */
export function inspectMessage(raw: Buffer, opts: InspectOptions = {}): InspectReport {
  const report: InspectReport = {
    kind: 'non-pec',
    receiptType: null,
    error: null,
    signature: {
      present: false,
      intact: false,
      trusted: opts.trust ? false : null,
      code: null,
      detail: null,
      signer: null,
      digest: null,
      signingTime: null,
      canonicalized: false,
      provider: null,
    },
    daticert: null,
    subject: null,
    messageId: null,
    riferimentoMessageId: null,
    problems: [],
    original: null,
  };
  try {
    inspect(raw, opts, report);
  } catch (err) {
    // Defensive: the readers are built not to throw, but a verdict must always come back.
    report.problems.push(`internal error while inspecting: ${(err as Error)?.message ?? String(err)}`);
  }
  return report;
}

export type { DaticertTipo };
