/**
 * Common shape of every ricevuta/avviso (spec §2.1, §2.2): From the service address, To the
 * original sender (or the sender provider's service mailbox), Subject = literal prefix + original
 * subject, X-Ricevuta, X-Riferimento-Message-ID, a fresh Message-ID, signed.
 */
import type { Daticert } from '../daticert';
import { newPecMessageId } from '../identifiers';
import { encodeWords } from '../mime-write';
import { assemble, daticertPart, noticePart, postacertPart, serviceAddress, type NoticeText } from './assemble';
import type { BuildContext, BuiltMessage, PecMessageKind, TransactionFacts } from './types';

export interface ReceiptInput {
  kind: PecMessageKind;
  ctx: BuildContext;
  facts: TransactionFacts;
  /** Recipient of the notice; default the original sender. */
  to?: string;
  subjectPrefix: string;
  xRicevuta: Daticert['tipo'];
  extraHeaders?: Array<[string, string]>;
  daticert: Daticert;
  notice: NoticeText;
  /** postacert.eml content, for receipts that carry the original. */
  postacert?: Buffer[];
}

export async function buildReceipt(r: ReceiptInput): Promise<BuiltMessage> {
  const to = r.to ?? r.facts.mittente;
  const from = serviceAddress(r.ctx);
  return assemble({
    kind: r.kind,
    ctx: r.ctx,
    messageId: newPecMessageId(r.ctx.now, { domain: r.ctx.provider.domain, node: r.ctx.provider.node, timeZone: r.ctx.provider.timeZone }),
    headers: [
      ['From', from],
      ['To', to],
      ['Subject', `${r.subjectPrefix}${encodeWords(r.facts.oggetto)}`],
      ['X-Ricevuta', r.xRicevuta],
      ...(r.extraHeaders ?? []),
      ['X-Riferimento-Message-ID', r.facts.msgid],
    ],
    parts: [noticePart(r.notice), daticertPart(r.daticert), ...(r.postacert ? [postacertPart(r.postacert)] : [])],
    daticert: r.daticert,
    facts: r.facts,
    envelope: { from, to: [to] },
  });
}
