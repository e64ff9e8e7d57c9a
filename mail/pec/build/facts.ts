/**
 * Transaction facts: what the original said (sender, recipients, subject, Reply-To, client
 * msgid, requested receipt type), and the daticert every message restates from them.
 */
import { tipiRicevuta, type Daticert, type DaticertErrore, type DaticertTipo, type TipoRicevuta } from '../daticert';
import { pecLocalTime } from '../time';
import { addressesOf, decodeWords, headerValue, splitHeaders } from './headers';
import type { BuildContext, PecRecipient, TransactionFacts } from './types';

export interface DescribeOriginalInput {
  /** The original message as submitted. */
  original: Buffer;
  /** SMTP reverse-path (MAIL FROM). */
  sender: string;
  /** SMTP forward-paths (RCPT TO), classified. */
  recipients: PecRecipient[];
  /** PEC msgid assigned to this transaction (newPecMessageId). */
  identificativo: string;
}

/** Requested receipt type from X-TipoRicevuta (any case), default completa. */
export function requestedReceipt(value: string | undefined): TipoRicevuta {
  const v = value?.trim().toLowerCase();
  return (tipiRicevuta as readonly string[]).includes(v ?? '') ? (v as TipoRicevuta) : 'completa';
}

/** Facts of a submission, read from the original's headers plus the SMTP envelope. */
export function describeOriginal(input: DescribeOriginalInput): TransactionFacts {
  const { fields } = splitHeaders(input.original);
  const replyTo = addressesOf(headerValue(fields, 'reply-to'))[0];
  const clientMsgid = headerValue(fields, 'message-id');
  return {
    mittente: input.sender,
    destinatari: input.recipients.map((r) => ({ address: r.address, tipo: r.tipo })),
    risposte: replyTo ?? input.sender,
    oggetto: decodeWords(headerValue(fields, 'subject') ?? ''),
    identificativo: input.identificativo,
    // With no client id, the PEC id stands in, so correlation headers are always present.
    msgid: clientMsgid && /<[^>]+>/.test(clientMsgid) ? /<[^>]+>/.exec(clientMsgid)![0] : `<${input.identificativo}>`,
    ricevuta: requestedReceipt(headerValue(fields, 'x-tiporicevuta')),
  };
}

/** Facts restated from a received busta's (or receipt's) daticert. */
export function factsFromDaticert(d: Daticert): TransactionFacts {
  return {
    mittente: d.intestazione.mittente,
    destinatari: d.intestazione.destinatari,
    risposte: d.intestazione.risposte,
    oggetto: d.intestazione.oggetto ?? '',
    identificativo: d.dati.identificativo,
    msgid: d.dati.msgid ?? `<${d.dati.identificativo}>`,
    ricevuta: d.dati.ricevuta ?? 'completa',
  };
}

export interface DaticertExtra {
  errore?: DaticertErrore;
  ricevuta?: TipoRicevuta;
  consegna?: string;
  ricezione?: string[];
  erroreEsteso?: string;
}

export function daticertFor(ctx: BuildContext, facts: TransactionFacts, tipo: DaticertTipo, extra: DaticertExtra = {}): Daticert {
  const d: Daticert = {
    tipo,
    errore: extra.errore ?? 'nessuno',
    intestazione: {
      mittente: facts.mittente,
      destinatari: facts.destinatari,
      risposte: facts.risposte,
      oggetto: facts.oggetto,
    },
    dati: {
      gestoreEmittente: ctx.provider.name,
      data: pecLocalTime(ctx.now, ctx.provider.timeZone),
      identificativo: facts.identificativo,
      msgid: facts.msgid,
    },
  };
  if (extra.ricevuta) d.dati.ricevuta = extra.ricevuta;
  if (extra.consegna) d.dati.consegna = extra.consegna;
  if (extra.ricezione?.length) d.dati.ricezione = extra.ricezione;
  if (extra.erroreEsteso) d.dati.erroreEsteso = extra.erroreEsteso;
  return d;
}

/** "Il giorno dd/mm/yyyy alle ore hh:mm:ss (+hhmm)", the opening of every notice. */
export function whenPhrase(ctx: BuildContext): string {
  const t = pecLocalTime(ctx.now, ctx.provider.timeZone);
  return `Il giorno ${t.giorno} alle ore ${t.ora} (${t.zona})`;
}

/** One line per recipient with its ("posta certificata") / ("posta ordinaria") marker. */
export function recipientLines(facts: TransactionFacts, only?: readonly string[]): string[] {
  const marker = (tipo: string): string => `("${tipo === 'esterno' ? 'posta ordinaria' : 'posta certificata'}")`;
  if (!only) return facts.destinatari.map((d) => `${d.address} ${marker(d.tipo)}`);
  return only.map((a) => {
    const known = facts.destinatari.find((d) => d.address.toLowerCase() === a.toLowerCase());
    return `${a} ${marker(known?.tipo ?? 'certificato')}`;
  });
}

export function identificativoLine(facts: TransactionFacts): string {
  return `Identificativo messaggio: ${facts.identificativo}`;
}
