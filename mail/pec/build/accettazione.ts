/**
 * Access point outcomes (spec §2.2, §2.6): ricevuta di accettazione, avviso di non accettazione
 * for each formal cause, and its virus variant. None carries the original.
 */
import { buildReceipt } from './receipt';
import { daticertFor, identificativoLine, recipientLines, whenPhrase } from './facts';
import type { BuildContext, BuiltMessage, TransactionFacts } from './types';

export async function buildAccettazione(input: { ctx: BuildContext; facts: TransactionFacts }): Promise<BuiltMessage> {
  const { ctx, facts } = input;
  return buildReceipt({
    kind: 'accettazione',
    ctx,
    facts,
    subjectPrefix: 'ACCETTAZIONE: ',
    xRicevuta: 'accettazione',
    daticert: daticertFor(ctx, facts, 'accettazione'),
    notice: {
      title: 'Ricevuta di accettazione',
      paragraphs: [
        `${whenPhrase(ctx)} il messaggio "${facts.oggetto}" proveniente da "${facts.mittente}" ed indirizzato a:`,
        recipientLines(facts),
        'è stato accettato dal sistema ed inoltrato.',
        identificativoLine(facts),
      ],
    },
  });
}

/** Formal causes of non accettazione (spec §2.6), plus the unencrypted-channel case seen in logs. */
export const nonAccettazioneCauses = {
  'from-non-valido': 'indirizzo del mittente (From) mancante o non valido',
  'to-non-valido': 'destinatari (To) mancanti o non validi',
  'mittente-non-coerente': 'il mittente della sessione SMTP non corrisponde al campo From del messaggio',
  'destinatari-non-coerenti': 'i destinatari della sessione SMTP non corrispondono ai campi To e Cc del messaggio',
  'bcc-presente': 'il messaggio contiene destinatari in copia nascosta (Bcc)',
  'dimensione-eccessiva': 'la dimensione del messaggio moltiplicata per il numero dei destinatari supera il limite consentito',
  'canale-non-cifrato': 'il messaggio è stato inviato senza cifratura del canale',
} as const;
export type NonAccettazioneCause = keyof typeof nonAccettazioneCauses;

export interface NonAccettazioneInput {
  ctx: BuildContext;
  facts: TransactionFacts;
  /** A formal cause, or `virus` for the PER VIRUS notice. */
  cause: NonAccettazioneCause | 'virus';
  /** Free detail appended to the reason (e.g. the virus name, the size limit). */
  detail?: string;
}

export async function buildNonAccettazione(input: NonAccettazioneInput): Promise<BuiltMessage> {
  const { ctx, facts, cause, detail } = input;
  const virus = cause === 'virus';
  const reason = (virus ? 'rilevato virus' : nonAccettazioneCauses[cause]) + (detail ? `: ${detail}` : '');
  return buildReceipt({
    kind: virus ? 'non-accettazione-virus' : 'non-accettazione',
    ctx,
    facts,
    subjectPrefix: virus ? 'AVVISO DI NON ACCETTAZIONE PER VIRUS: ' : 'AVVISO DI NON ACCETTAZIONE: ',
    xRicevuta: 'non-accettazione',
    extraHeaders: virus ? [['X-VerificaSicurezza', 'errore']] : [],
    daticert: daticertFor(ctx, facts, 'non-accettazione', { errore: virus ? 'virus' : 'altro', erroreEsteso: reason }),
    notice: {
      title: virus ? 'Avviso di non accettazione per virus' : 'Avviso di non accettazione',
      paragraphs: [
        `${whenPhrase(ctx)} nel messaggio "${facts.oggetto}" proveniente da "${facts.mittente}" ed indirizzato a:`,
        recipientLines(facts),
        virus
          ? `è stato rilevato un problema di sicurezza (${reason}). Il messaggio non è stato accettato e non è stato inoltrato.`
          : `è stato rilevato un errore: ${reason}. Il messaggio non è stato accettato e non è stato inoltrato.`,
        identificativoLine(facts),
      ],
    },
  });
}
