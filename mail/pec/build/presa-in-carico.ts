/**
 * Ricevuta di presa in carico (spec §2.2, §4.2): the reception point tells the sender provider's
 * service mailbox (mailReceipt) which local recipients it has taken in charge.
 */
import { buildReceipt } from './receipt';
import { daticertFor, identificativoLine, recipientLines, whenPhrase } from './facts';
import type { BuildContext, BuiltMessage, TransactionFacts } from './types';

export interface PresaInCaricoInput {
  ctx: BuildContext;
  facts: TransactionFacts;
  /** mailReceipt of the sender's provider, from the provider index. */
  mailReceipt: string;
  /** Local recipients covered (daticert ricezione). */
  ricezione: string[];
}

export async function buildPresaInCarico(input: PresaInCaricoInput): Promise<BuiltMessage> {
  const { ctx, facts } = input;
  if (input.ricezione.length === 0) throw new Error('presa in carico: at least one recipient is required');
  return buildReceipt({
    kind: 'presa-in-carico',
    ctx,
    facts,
    to: input.mailReceipt,
    subjectPrefix: 'PRESA IN CARICO: ',
    xRicevuta: 'presa-in-carico',
    daticert: daticertFor(ctx, facts, 'presa-in-carico', { ricezione: input.ricezione }),
    notice: {
      title: 'Ricevuta di presa in carico',
      paragraphs: [
        `${whenPhrase(ctx)} il messaggio "${facts.oggetto}" proveniente da "${facts.mittente}" ed indirizzato a:`,
        recipientLines(facts, input.ricezione),
        `è stato accettato dal sistema di ${ctx.provider.name} per la consegna.`,
        identificativoLine(facts),
      ],
    },
  });
}
