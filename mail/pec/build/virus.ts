/**
 * Avviso di rilevazione virus (spec §2.2, §4.2): the reception point found a virus inside a valid
 * busta; it tells the sender provider's service mailbox, one notice per local recipient, with
 * X-Mittente naming the original sender. The original is not carried.
 */
import { daticertFor, identificativoLine, recipientLines, whenPhrase } from './facts';
import { buildReceipt } from './receipt';
import type { BuildContext, BuiltMessage, TransactionFacts } from './types';

export interface RilevazioneVirusInput {
  ctx: BuildContext;
  facts: TransactionFacts;
  /** mailReceipt of the sender's provider. */
  mailReceipt: string;
  /** Local recipient the infected busta was addressed to. */
  consegna: string;
  /** Scanner finding, e.g. the signature name. */
  virus?: string;
}

export async function buildRilevazioneVirus(input: RilevazioneVirusInput): Promise<BuiltMessage> {
  const { ctx, facts } = input;
  const erroreEsteso = `rilevato virus${input.virus ? `: ${input.virus}` : ''}`;
  return buildReceipt({
    kind: 'rilevazione-virus',
    ctx,
    facts,
    to: input.mailReceipt,
    subjectPrefix: 'PROBLEMA DI SICUREZZA: ',
    xRicevuta: 'rilevazione-virus',
    extraHeaders: [['X-Mittente', facts.mittente]],
    daticert: daticertFor(ctx, facts, 'rilevazione-virus', { errore: 'virus', consegna: input.consegna, erroreEsteso }),
    notice: {
      title: 'Avviso di rilevazione virus',
      paragraphs: [
        `${whenPhrase(ctx)} nel messaggio "${facts.oggetto}" proveniente da "${facts.mittente}" ed indirizzato a:`,
        recipientLines(facts, [input.consegna]),
        `è stato rilevato un problema di sicurezza (${erroreEsteso}). Il messaggio non è stato consegnato.`,
        identificativoLine(facts),
      ],
    },
  });
}
