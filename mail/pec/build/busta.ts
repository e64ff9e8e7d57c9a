/**
 * Busta di trasporto (spec §2.2, §2.3): the access point wraps the accepted original as
 * postacert.eml with daticert.xml and a notice, signs it, and relays it with the original SMTP
 * envelope.
 */
import { encodeWords, quoteString, toCrlf } from '../mime-write';
import { assemble, daticertPart, noticePart, postacertPart, serviceAddress } from './assemble';
import { daticertFor, describeOriginal, identificativoLine, whenPhrase } from './facts';
import { splitHeaders } from './headers';
import { postacertOf } from './postacert';
import type { BuildContext, BuiltMessage, PecRecipient } from './types';

export interface BustaInput {
  ctx: BuildContext;
  /** The original as submitted (any line ends; canonicalised to CRLF). */
  original: Buffer;
  /** SMTP reverse-path. */
  sender: string;
  /** SMTP forward-paths, classified certificato/esterno, To/Cc. */
  recipients: PecRecipient[];
  /** PEC msgid of this transaction (shared with its accettazione). */
  identificativo: string;
}

const copiedFromOriginal = new Set(['return-path', 'received', 'to', 'cc', 'reply-to']);

export async function buildBustaTrasporto(input: BustaInput): Promise<BuiltMessage> {
  const { ctx } = input;
  const original = toCrlf(input.original);
  const facts = describeOriginal({ original, sender: input.sender, recipients: input.recipients, identificativo: input.identificativo });
  const { fields } = splitHeaders(original);
  const copied = fields.filter((f) => copiedFromOriginal.has(f.key)).map((f) => f.raw);
  const daticert = daticertFor(ctx, facts, 'posta-certificata', { ricevuta: facts.ricevuta });
  const notice = noticePart({
    title: 'Messaggio di posta certificata',
    paragraphs: [
      `${whenPhrase(ctx)} il messaggio "${facts.oggetto}" è stato inviato da "${facts.mittente}" indirizzato a:`,
      facts.destinatari.map((d) => d.address),
      'Il messaggio originale è incluso in allegato (postacert.eml); il file daticert.xml contiene i dati di certificazione.',
      identificativoLine(facts),
    ],
  });
  return assemble({
    kind: 'busta-trasporto',
    ctx,
    messageId: input.identificativo,
    copiedRaw: copied,
    headers: [
      ...(fields.some((f) => f.key === 'reply-to') ? [] : ([['Reply-To', facts.mittente]] as Array<[string, string]>)),
      ['Subject', `POSTA CERTIFICATA: ${encodeWords(facts.oggetto)}`],
      ['From', `${quoteString(`Per conto di: ${facts.mittente}`)} <${serviceAddress(ctx)}>`],
      ['X-Trasporto', 'posta-certificata'],
      ['X-Riferimento-Message-ID', facts.msgid],
      ['X-TipoRicevuta', facts.ricevuta],
    ],
    parts: [notice, daticertPart(daticert), postacertPart(postacertOf(original, input.identificativo, facts.msgid))],
    daticert,
    facts,
    envelope: { from: input.sender, to: input.recipients.map((r) => r.address) },
  });
}
