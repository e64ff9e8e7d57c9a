/**
 * Delivery status notification (RFC 3464) for ordinary-mail (`esterno`) recipients our relay could
 * not reach: the peer refused the busta for good (5xx) or it stayed in our queue past its 24 h
 * (spec §2.7, §5.1: such recipients earn no PEC receipt, only "normal SMTP DSNs"). A
 * multipart/report with an Italian + English explanation, the machine-readable
 * message/delivery-status, and the original's header block as text/rfc822-headers. Not signed:
 * it is ordinary mail, and the MTA hands it to the holder inside a busta di anomalia.
 */
import { newPecMessageId } from '../identifiers';
import {
  CRLF,
  encodeText,
  encodeWords,
  headerBlock,
  isSevenBit,
  newBoundary,
  quotedPrintable,
  quoteString,
  toCrlf,
} from '../mime-write';
import { pecLocalTime, rfc5322Date } from '../time';
import { decodeWords, headerValue, splitHeaders } from './headers';
import { serviceAddress } from './assemble';
import type { BuildContext } from './types';

export interface FailedRecipient {
  address: string;
  /** RFC 3463 status, e.g. `5.1.1` (smtpFailureStatus gives it). */
  status: string;
  /** The remote server's answer, e.g. `550 5.1.1 no such user`; absent when none came. */
  diagnostic?: string;
  /** When we last tried. */
  lastAttempt: Date;
}

export interface DeliveryStatusInput {
  /** Our identity and the report's instant (nothing is signed). */
  ctx: Pick<BuildContext, 'provider' | 'now'>;
  /** The message that could not be delivered: its header block is returned (the body is ignored). */
  original: Buffer;
  /** Who hears of it: the original's SMTP reverse-path. */
  to: string;
  /** When we accepted the original. */
  arrivalDate: Date;
  /** Our reference for the message (the PEC identificativo), as Original-Envelope-Id. */
  envelopeId?: string;
  recipients: FailedRecipient[];
}

export interface BuiltDeliveryStatus {
  /** Message-ID of the report, without angle brackets. */
  messageId: string;
  data: Buffer;
  /** Null reverse-path (RFC 5321 §4.5.5): nobody answers a DSN. */
  envelope: { from: ''; to: string[] };
}

/** Status of a failed recipient: the peer's enhanced code when it gave a final one, else a generic one. */
export function smtpFailureStatus(reason: string | undefined, expired: boolean): string {
  // Past the queue lifetime the failure is the expiry, whatever transient answer came last.
  if (expired) return '4.4.7';
  const enhanced = /(?:^|[\s:(-])(5\.\d{1,3}\.\d{1,3})(?=$|[\s;:,)])/.exec(reason ?? '');
  return enhanced?.[1] ?? '5.0.0';
}

/** message/delivery-status fields are US-ASCII on one line: anything else becomes '?'. */
function asciiLine(text: string): string {
  return text
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim()
    .slice(0, 900);
}

function statusField(name: string, value: string): string {
  return `${name}: ${value}${CRLF}`;
}

function explanation(input: DeliveryStatusInput, subject: string): string {
  const { ctx } = input;
  const t = pecLocalTime(ctx.now, ctx.provider.timeZone);
  const expired = input.recipients.every((r) => r.status === '4.4.7');
  const it = input.recipients.map(
    (r) => `  ${r.address}: ${r.diagnostic ?? 'nessuna risposta dal server del destinatario'}`,
  );
  const en = input.recipients.map(
    (r) => `  ${r.address}: ${r.diagnostic ?? 'no answer from the recipient server'}`,
  );
  return [
    'Avviso di mancato recapito',
    '',
    `Il giorno ${t.giorno} alle ore ${t.ora} (${t.zona}) il messaggio "${subject}" non è stato recapitato ai seguenti destinatari di posta ordinaria:`,
    ...it,
    '',
    expired
      ? 'Il messaggio non è stato accettato dal server del destinatario entro il tempo massimo di permanenza in coda (24 ore) e non sarà più inviato.'
      : 'Il server del destinatario ha rifiutato il messaggio in modo definitivo.',
    'Gli altri destinatari non sono interessati da questo avviso.',
    '',
    '----',
    '',
    'Delivery failure notice',
    '',
    `Your message "${subject}" could not be delivered to these ordinary-mail recipients:`,
    ...en,
    '',
    expired
      ? 'The recipient server did not accept it within the maximum queue time (24 hours); it will not be retried.'
      : 'The recipient server refused it permanently.',
    'Other recipients are not affected by this notice.',
    '',
  ].join('\n');
}

export function buildDeliveryStatus(input: DeliveryStatusInput): BuiltDeliveryStatus {
  const { ctx } = input;
  if (input.recipients.length === 0) throw new Error('delivery status: no recipients');
  const original = toCrlf(input.original);
  const { fields, headerEnd } = splitHeaders(original);
  const subject = decodeWords(headerValue(fields, 'subject') ?? '');
  const date = (d: Date) => rfc5322Date(d, ctx.provider.timeZone);
  const messageId = newPecMessageId(ctx.now, {
    domain: ctx.provider.domain,
    node: ctx.provider.node,
    timeZone: ctx.provider.timeZone,
  });
  const boundary = newBoundary();

  const text = encodeText(explanation(input, subject));
  const perMessage =
    statusField('Reporting-MTA', `dns; ${ctx.provider.domain}`) +
    (input.envelopeId ? statusField('Original-Envelope-Id', asciiLine(input.envelopeId)) : '') +
    statusField('Arrival-Date', date(input.arrivalDate));
  const perRecipient = input.recipients.map(
    (r) =>
      statusField('Final-Recipient', `rfc822; ${asciiLine(r.address)}`) +
      statusField('Action', 'failed') +
      statusField('Status', r.status) +
      (r.diagnostic ? statusField('Diagnostic-Code', `smtp; ${asciiLine(r.diagnostic)}`) : '') +
      statusField('Last-Attempt-Date', date(r.lastAttempt)),
  );
  const headerBytes = original.subarray(0, headerEnd);
  const headersText = headerBytes.toString('latin1').replace(/(\r\n)?$/, CRLF);

  const head =
    headerBlock([
      ['From', `${quoteString('Mail Delivery System')} <${serviceAddress(ctx)}>`],
      ['To', input.to],
      ['Subject', `Mancato recapito / Undelivered Mail: ${encodeWords(subject)}`],
      ['Date', date(ctx.now)],
      ['Message-ID', `<${messageId}>`],
      // RFC 3834: automatic, so no vacation reply or auto-forward answers it
      ['Auto-Submitted', 'auto-replied'],
      ['MIME-Version', '1.0'],
      ['Content-Type', `multipart/report; report-type=delivery-status; boundary="${boundary}"`],
    ]) + CRLF;
  const body =
    `This is a MIME-encapsulated message.${CRLF}${CRLF}` +
    `--${boundary}${CRLF}` +
    `Content-Type: text/plain; charset="${text.charset}"${CRLF}` +
    `Content-Transfer-Encoding: quoted-printable${CRLF}${CRLF}` +
    `${quotedPrintable(text.bytes)}${CRLF}` +
    `--${boundary}${CRLF}` +
    `Content-Type: message/delivery-status${CRLF}${CRLF}` +
    [perMessage, ...perRecipient].join(CRLF) +
    `${CRLF}--${boundary}${CRLF}` +
    `Content-Type: text/rfc822-headers${CRLF}` +
    `Content-Transfer-Encoding: ${isSevenBit(headerBytes) ? '7bit' : '8bit'}${CRLF}${CRLF}` +
    headersText +
    `${CRLF}--${boundary}--${CRLF}`;
  return {
    messageId,
    data: Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(body, 'latin1')]),
    envelope: { from: '', to: [input.to] },
  };
}
