/**
 * Busta di anomalia (spec §2.4, §2.7): the reception point wraps a message that is not a valid PEC
 * message (no or unknown signature, bad format, ordinary mail) whole, as postacert.eml, with a
 * short explanation. No daticert.xml, since the origin is not certified. The SMTP envelope is kept
 * so bounces still reach the real sender, and the DP delivers it with no receipt.
 */
import { newPecMessageId } from '../identifiers';
import { encodeWords, quoteString, toCrlf } from '../mime-write';
import { assemble, noticePart, postacertPart, serviceAddress } from './assemble';
import { whenPhrase } from './facts';
import { addressesOf, decodeWords, headerValue, splitHeaders } from './headers';
import type { BuildContext, BuiltMessage } from './types';

export interface AnomaliaInput {
  ctx: BuildContext;
  /** The received message, whole. */
  received: Buffer;
  /** SMTP reverse-path of the received message. */
  sender: string;
  /** SMTP forward-paths (the local recipients). */
  recipients: string[];
  /** One-line reason, e.g. "firma assente" or "certificato di firma non presente nell'indice". */
  reason: string;
}

const copied = new Set(['return-path', 'received', 'to', 'cc', 'reply-to']);

export async function buildBustaAnomalia(input: AnomaliaInput): Promise<BuiltMessage> {
  const { ctx } = input;
  const received = toCrlf(input.received);
  const { fields } = splitHeaders(received);
  const subject = decodeWords(headerValue(fields, 'subject') ?? '');
  const from = addressesOf(headerValue(fields, 'from'))[0] ?? input.sender;
  const receivedId = /<([^<>]+)>/.exec(headerValue(fields, 'message-id') ?? '')?.[1];
  const notice = noticePart({
    title: 'Anomalia nel messaggio',
    paragraphs: [
      `${whenPhrase(ctx)} è stato ricevuto il messaggio "${subject}" proveniente da "${from}" ed indirizzato a:`,
      input.recipients,
      `Il messaggio non è conforme alle regole della posta elettronica certificata (${input.reason}) ed è incluso in allegato (postacert.eml).`,
    ],
  });
  return assemble({
    kind: 'busta-anomalia',
    ctx,
    // The wrapper keeps the received message's Message-ID (spec §2.4).
    messageId: receivedId ?? newPecMessageId(ctx.now, { domain: ctx.provider.domain, node: ctx.provider.node, timeZone: ctx.provider.timeZone }),
    copiedRaw: fields.filter((f) => copied.has(f.key)).map((f) => f.raw),
    headers: [
      ...(fields.some((f) => f.key === 'reply-to') ? [] : ([['Reply-To', input.sender]] as Array<[string, string]>)),
      ['Subject', `ANOMALIA MESSAGGIO: ${encodeWords(subject)}`],
      ['From', `${quoteString(`Per conto di: ${input.sender}`)} <${serviceAddress(ctx)}>`],
      ['X-Trasporto', 'errore'],
    ],
    parts: [notice, postacertPart([received])],
    envelope: { from: input.sender, to: input.recipients },
  });
}
