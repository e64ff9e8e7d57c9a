/**
 * Assembles a PEC message: top-level headers, a multipart/mixed entity (human text as
 * multipart/alternative, daticert.xml, optional postacert.eml), signed as multipart/signed.
 * Layout as in spec §2.8.
 */
import { writeDaticert, type Daticert } from '../daticert';
import { angleAddr } from '../identifiers';
import { base64Lines, CRLF, encodeText, escapeHtml, headerBlock, isSevenBit, newBoundary, quotedPrintable } from '../mime-write';
import { rfc5322Date } from '../time';
import type { BuildContext, BuiltMessage, PecMessageKind, TransactionFacts } from './types';

/** One MIME part: its header block text (CRLF-terminated lines) and body chunks. */
export interface MimePart {
  headers: string;
  body: Buffer[];
}

/** Human-readable notice: a title and paragraphs; a string[] paragraph is a list, one per line. */
export interface NoticeText {
  title: string;
  paragraphs: Array<string | string[]>;
}

export function serviceAddress(ctx: Pick<BuildContext, 'provider'>): string {
  return ctx.provider.serviceAddress ?? `posta-certificata@${ctx.provider.domain}`;
}

function plainText(n: NoticeText): string {
  const body = n.paragraphs.map((p) => (Array.isArray(p) ? p.join('\n') : p)).join('\n\n');
  return `${n.title}\n\n${body}\n`;
}

function htmlText(n: NoticeText): string {
  // Self-contained: no links, images, styles from elsewhere or scripts (spec §2.8).
  const paras = n.paragraphs
    .map((p) => (Array.isArray(p) ? `<ul>${p.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>` : `<p>${escapeHtml(p)}</p>`))
    .join('\n');
  return `<!DOCTYPE html>\n<html lang="it">\n<head><meta charset="__CHARSET__"><title>${escapeHtml(n.title)}</title></head>\n<body>\n<h3>${escapeHtml(n.title)}</h3>\n${paras}\n</body>\n</html>\n`;
}

function textPart(type: 'plain' | 'html', text: string): string {
  const { bytes, charset } = encodeText(text);
  const body = type === 'html' ? encodeText(text.replace('__CHARSET__', charset)).bytes : bytes;
  return (
    `Content-Type: text/${type}; charset="${charset}"${CRLF}` +
    `Content-Disposition: inline${CRLF}` +
    `Content-Transfer-Encoding: quoted-printable${CRLF}${CRLF}` +
    quotedPrintable(body)
  );
}

/** multipart/alternative with the plain text and an equivalent HTML rendering. */
export function noticePart(n: NoticeText): MimePart {
  const boundary = newBoundary();
  const body =
    `--${boundary}${CRLF}${textPart('plain', plainText(n))}${CRLF}` +
    `--${boundary}${CRLF}${textPart('html', htmlText(n))}${CRLF}` +
    `--${boundary}--${CRLF}`;
  return { headers: `Content-Type: multipart/alternative; boundary="${boundary}"${CRLF}`, body: [Buffer.from(body, 'latin1')] };
}

export function daticertPart(d: Daticert): MimePart {
  return {
    headers:
      `Content-Type: application/xml; name="daticert.xml"${CRLF}` +
      `Content-Disposition: inline; filename="daticert.xml"${CRLF}` +
      `Content-Transfer-Encoding: base64${CRLF}`,
    body: [Buffer.from(base64Lines(Buffer.from(writeDaticert(d), 'utf8')), 'latin1')],
  };
}

/** message/rfc822 postacert.eml; chunks are referenced as they are (already canonical CRLF). */
export function postacertPart(message: Buffer[]): MimePart {
  const sevenBit = message.every(isSevenBit);
  return {
    headers:
      `Content-Type: message/rfc822; name="postacert.eml"${CRLF}` +
      `Content-Disposition: inline; filename="postacert.eml"${CRLF}` +
      `Content-Transfer-Encoding: ${sevenBit ? '7bit' : '8bit'}${CRLF}`,
    body: message,
  };
}

/** The multipart/mixed entity that gets signed. */
export function mixedEntity(parts: MimePart[]): Buffer[] {
  const boundary = newBoundary();
  const out: Buffer[] = [
    Buffer.from(`Content-Type: multipart/mixed; boundary="${boundary}"${CRLF}${CRLF}This is a multi-part message in MIME format.${CRLF}`, 'latin1'),
  ];
  for (const p of parts) {
    out.push(Buffer.from(`--${boundary}${CRLF}${p.headers}${CRLF}`, 'latin1'), ...p.body, Buffer.from(CRLF, 'latin1'));
  }
  out.push(Buffer.from(`--${boundary}--${CRLF}`, 'latin1'));
  return out;
}

export interface AssembleInput {
  kind: PecMessageKind;
  ctx: BuildContext;
  messageId: string;
  /**
   * Header fields before the standard ones: pre-formatted raw lines copied from the original
   * (Received, Return-Path...) or [name, value] pairs.
   */
  copiedRaw?: string[];
  headers: Array<[string, string]>;
  parts: MimePart[];
  daticert?: Daticert;
  facts?: TransactionFacts;
  envelope: { from: string; to: string[] };
}

/** Builds, signs and returns the message. Adds Date, Message-ID and MIME-Version itself. */
export async function assemble(input: AssembleInput): Promise<BuiltMessage> {
  const entity = mixedEntity(input.parts);
  const signed = await input.ctx.signer.signEntity(entity, input.ctx.now);
  const head =
    (input.copiedRaw ?? []).map((r) => r.replace(/\r?\n$/, '').replace(/\r?\n/g, CRLF) + CRLF).join('') +
    headerBlock([
      ...input.headers,
      ['Date', rfc5322Date(input.ctx.now, input.ctx.provider.timeZone)],
      ['Message-ID', angleAddr(input.messageId)],
      ['MIME-Version', '1.0'],
      ['Content-Type', signed.contentType],
    ]) +
    CRLF;
  const chunks = [Buffer.from(head, 'latin1'), ...signed.body];
  return {
    kind: input.kind,
    messageId: input.messageId,
    chunks,
    size: chunks.reduce((n, c) => n + c.length, 0),
    daticert: input.daticert,
    facts: input.facts,
    envelope: input.envelope,
  };
}
