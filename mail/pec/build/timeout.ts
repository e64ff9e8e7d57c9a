/**
 * Notices for exceeded delivery time (spec §2.2, §5.1), both with
 * `X-Ricevuta: preavviso-errore-consegna` and the `SUP. TEMPO MASSIMO` subject: the 12 h preavviso
 * (delivery may still happen) and the 24 h avviso (transaction closed negatively). Sent to the
 * original sender.
 */
import { daticertFor, identificativoLine, recipientLines, whenPhrase } from './facts';
import { buildReceipt } from './receipt';
import type { BuildContext, BuiltMessage, TransactionFacts } from './types';

export interface TimeoutNoticeInput {
  ctx: BuildContext;
  facts: TransactionFacts;
  /** The recipient with no delivery receipt. */
  consegna: string;
  /** 12: first warning; 24: final notice. */
  hours: 12 | 24;
}

export async function buildTimeoutNotice(input: TimeoutNoticeInput): Promise<BuiltMessage> {
  const { ctx, facts, hours } = input;
  const final = hours === 24;
  const erroreEsteso = final
    ? 'Mancata consegna entro 24 ore dall\'invio: trasmissione conclusa con esito negativo'
    : 'Mancata ricezione della ricevuta di consegna entro 12 ore dall\'invio';
  return buildReceipt({
    kind: final ? 'mancata-consegna-24h' : 'preavviso-mancata-consegna-12h',
    ctx,
    facts,
    subjectPrefix: 'AVVISO DI MANCATA CONSEGNA PER SUP. TEMPO MASSIMO: ',
    xRicevuta: 'preavviso-errore-consegna',
    daticert: daticertFor(ctx, facts, 'preavviso-errore-consegna', {
      errore: final ? 'altro' : 'nessuno',
      consegna: input.consegna,
      erroreEsteso,
    }),
    notice: {
      title: final ? 'Avviso di mancata consegna per superamento dei tempi massimi' : 'Preavviso di mancata consegna',
      paragraphs: [
        `${whenPhrase(ctx)} il messaggio "${facts.oggetto}" proveniente da "${facts.mittente}" ed indirizzato a:`,
        recipientLines(facts, [input.consegna]),
        final
          ? 'non è stato consegnato entro 24 ore dall\'invio. La trasmissione si considera conclusa con esito negativo.'
          : 'non è stato ancora consegnato: entro 12 ore dall\'invio non è pervenuta la ricevuta di consegna. La consegna potrà ancora avvenire nelle prossime 12 ore.',
        identificativoLine(facts),
      ],
    },
  });
}
