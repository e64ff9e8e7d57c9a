/**
 * Delivery point outcomes (spec §2.2, §2.5, §4.3): ricevuta di avvenuta consegna (completa, breve,
 * sintetica), one per recipient, and avviso di mancata consegna (no-dest, no-dominio, altro) plus
 * the virus variant the sender's provider emits after a rilevazione virus.
 */
import type { TipoRicevuta } from '../daticert';
import { breveCopy } from './breve';
import { daticertFor, identificativoLine, recipientLines, whenPhrase } from './facts';
import { buildReceipt } from './receipt';
import type { BuildContext, BuiltMessage, TransactionFacts } from './types';

/**
 * Receipt type owed to a recipient: what the sender asked for when it was a primary (To)
 * recipient, sintetica for Cc. Ambiguous (in both, or neither) counts as primary (spec §2.5).
 */
export function deliveryReceiptType(requested: TipoRicevuta, field: 'to' | 'cc' | 'ambiguous'): TipoRicevuta {
  return field === 'cc' ? 'sintetica' : requested;
}

export interface AvvenutaConsegnaInput {
  ctx: BuildContext;
  facts: TransactionFacts;
  /** The recipient whose mailbox received the busta. */
  consegna: string;
  /** Receipt type for this recipient (deliveryReceiptType). */
  ricevuta: TipoRicevuta;
  /** postacert.eml from the busta, required for completa and breve. */
  postacert?: Buffer | Buffer[];
}

export async function buildAvvenutaConsegna(input: AvvenutaConsegnaInput): Promise<BuiltMessage> {
  const { ctx, facts, ricevuta } = input;
  let postacert: Buffer[] | undefined;
  if (ricevuta !== 'sintetica') {
    if (!input.postacert) throw new Error(`avvenuta consegna ${ricevuta}: the original (postacert) is required`);
    postacert = ricevuta === 'breve' ? breveCopy(input.postacert) : Array.isArray(input.postacert) ? input.postacert : [input.postacert];
  }
  const carried =
    ricevuta === 'completa'
      ? 'Il messaggio originale è incluso in allegato (postacert.eml).'
      : ricevuta === 'breve'
        ? 'Il messaggio originale è incluso in allegato (postacert.eml); gli eventuali allegati sono sostituiti dalla loro impronta SHA-1 (file .hash).'
        : 'Ricevuta sintetica: il messaggio originale non è allegato.';
  return buildReceipt({
    kind: 'avvenuta-consegna',
    ctx,
    facts,
    subjectPrefix: 'CONSEGNA: ',
    xRicevuta: 'avvenuta-consegna',
    daticert: daticertFor(ctx, facts, 'avvenuta-consegna', { ricevuta, consegna: input.consegna }),
    notice: {
      title: 'Ricevuta di avvenuta consegna',
      paragraphs: [
        `${whenPhrase(ctx)} il messaggio "${facts.oggetto}" proveniente da "${facts.mittente}" ed indirizzato a:`,
        recipientLines(facts, [input.consegna]),
        'è stato consegnato nella casella di destinazione.',
        carried,
        identificativoLine(facts),
      ],
    },
    postacert,
  });
}

export interface MancataConsegnaInput {
  ctx: BuildContext;
  facts: TransactionFacts;
  consegna: string;
  /** no-dest: unknown recipient; no-dominio: wrong domain; altro: any other error; virus: after a rilevazione virus. */
  errore: 'no-dest' | 'no-dominio' | 'altro' | 'virus';
  /** Short description, e.g. `5.1.1 - Beta PEC - indirizzo non valido`. */
  erroreEsteso?: string;
}

const defaultErrors = {
  'no-dest': '5.1.1 - destinatario non valido',
  'no-dominio': '5.1.2 - dominio non valido',
  altro: '5.0.0 - errore nella consegna',
  virus: 'rilevato virus nel messaggio',
} as const;

export async function buildMancataConsegna(input: MancataConsegnaInput): Promise<BuiltMessage> {
  const { ctx, facts } = input;
  const virus = input.errore === 'virus';
  const erroreEsteso = input.erroreEsteso ?? defaultErrors[input.errore];
  return buildReceipt({
    kind: virus ? 'mancata-consegna-virus' : 'mancata-consegna',
    ctx,
    facts,
    subjectPrefix: virus ? 'AVVISO DI MANCATA CONSEGNA PER VIRUS: ' : 'AVVISO DI MANCATA CONSEGNA: ',
    xRicevuta: 'errore-consegna',
    extraHeaders: virus ? [['X-VerificaSicurezza', 'errore']] : [],
    daticert: daticertFor(ctx, facts, 'errore-consegna', { errore: input.errore, consegna: input.consegna, erroreEsteso }),
    notice: {
      title: virus ? 'Avviso di mancata consegna per virus' : 'Avviso di mancata consegna',
      paragraphs: [
        `${whenPhrase(ctx)} nel messaggio "${facts.oggetto}" proveniente da "${facts.mittente}" ed indirizzato a:`,
        recipientLines(facts, [input.consegna]),
        virus
          ? `è stato rilevato un problema di sicurezza (${erroreEsteso}). Il messaggio non è stato consegnato.`
          : `si è verificato un errore nella consegna: ${erroreEsteso}. Il messaggio non è stato consegnato.`,
        identificativoLine(facts),
      ],
    },
  });
}
