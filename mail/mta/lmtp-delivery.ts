/**
 * Delivery over LMTP to Dovecot (MTA_DELIVERY=lmtp): Dovecot stores the message and enforces the
 * quota; the delivery point issues the consegna only after LMTP's 250 for that recipient.
 *
 * One LMTP transaction per recipient, so each answer is that recipient's (and each copy carries its
 * own key). Answers: 250 stored; 552, or any x.2.2 (mailbox full, 452 4.2.2 included) → over quota;
 * 550/551/553 or x.1.x → unknown mailbox; another 5xx → rejected; another 4xx, or no answer at all
 * → TemporaryStoreError (the busta's sender gets 451 and retries; no receipt).
 *
 * Not storing a keyed delivery twice (a busta retried after we crashed):
 * - every keyed copy gets an `X-PEC-Delivery-Key: <sha256 of the key>` header on top;
 * - right after LMTP's 250 the key goes into `lmtp_deliveries`; `isStored` looks there first;
 * - the crash window is between the 250 and that insert (milliseconds). For it, `isStored` also
 *   looks for the header in the copies Dovecot wrote in the last week, when this process can read
 *   the Maildirs (compose shares the volume): found → stored. Where it cannot (Dovecot on another
 *   host), a crash in that window leaves two copies with the same X-PEC-Delivery-Key, never a
 *   missing one and never a second consegna (the spool keys receipts by identificativo + recipient).
 * Dovecot adds `Return-Path:` on top of the stored copy (docker/dovecot/dovecot.conf turns off
 * its Delivered-To and Received); the holder gets these two headers followed by the busta unchanged.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import nodemailer from 'nodemailer';
import type { PrismaClient } from '@/lib/db/client';
import { rowsOf, sql, sqlClientOf, type SqlClient } from '@/lib/db/sql';
import { listDelivered } from './maildir';
import {
  TemporaryStoreError,
  type MessageStore,
  type StoreOutcome,
  type StoreRequest,
} from './message-store';

export const deliveryKeyHeader = 'X-PEC-Delivery-Key';

/** Value of the X-PEC-Delivery-Key header and key of `lmtp_deliveries` for a delivery key. */
export function deliveryKeyHash(deliveryKey: string): string {
  return createHash('sha256').update(deliveryKey).digest('hex').slice(0, 32);
}

/** Keyed deliveries LMTP confirmed (lmtp_deliveries). */
export interface LmtpDeliveryRecords {
  has(keyHash: string): Promise<boolean>;
  add(keyHash: string, recipient: string): Promise<void>;
  /** Forgets deliveries stored before `before`. */
  prune(before: Date): Promise<void>;
}

export class DatabaseLmtpDeliveryRecords implements LmtpDeliveryRecords {
  private readonly db: SqlClient;

  constructor(db: SqlClient | PrismaClient) {
    this.db = sqlClientOf(db);
  }

  async has(keyHash: string): Promise<boolean> {
    return (
      (await rowsOf(this.db, sql`SELECT 1 AS one FROM lmtp_deliveries WHERE key_hash = ${keyHash}`)).length >
      0
    );
  }

  async add(keyHash: string, recipient: string): Promise<void> {
    // a retry that stored again (crash window, Maildir not readable) meets its own earlier row
    await this.db.query(sql`
      INSERT INTO lmtp_deliveries (key_hash, recipient, stored_at) VALUES (${keyHash}, ${recipient.toLowerCase()}, now())
      ON CONFLICT (key_hash) DO NOTHING`);
  }

  async prune(before: Date): Promise<void> {
    await this.db.query(sql`DELETE FROM lmtp_deliveries WHERE stored_at < ${before}::timestamptz`);
  }
}

export interface LmtpAddress {
  host: string;
  port: number;
}

export interface LmtpStoreOptions {
  lmtp: LmtpAddress;
  records: LmtpDeliveryRecords;
  /** Envelope sender of the LMTP transactions (Dovecot writes it as Return-Path). */
  envelopeFrom: string;
  /** Our name in LHLO. */
  lhloName: string;
  /** Where Dovecot keeps the Maildirs, when this process can read them: closes the crash window. */
  maildirRoot?: string;
  /** How long a keyed delivery is remembered (default a week). */
  retentionMs?: number;
  /** Connection timeout (default 30 s); answers may take 2 min or this, whichever is longer. */
  timeoutMs?: number;
}

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  rejectedErrors?: SmtpError[];
}

/** An LMTP answer for one recipient → what it means for the delivery. */
export function classifyLmtpAnswer(code: number, response: string): StoreOutcome | 'temporary' {
  if (code >= 200 && code < 300) return { stored: true };
  const enhanced = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/.exec(response);
  const subject = enhanced ? `${enhanced[2]}.${enhanced[3]}` : '';
  if (code === 552 || subject === '2.2') return { stored: false, refusal: 'over-quota', detail: response };
  if (code >= 500) {
    const unknown = code === 550 || code === 551 || code === 553 || subject.startsWith('1.');
    return { stored: false, refusal: unknown ? 'unknown-mailbox' : 'rejected', detail: response };
  }
  return 'temporary';
}

const dayMs = 86_400_000;

export class LmtpMessageStore implements MessageStore {
  private readonly transport: nodemailer.Transporter;
  private readonly retentionMs: number;
  private lastPrune = 0;

  constructor(private readonly options: LmtpStoreOptions) {
    const timeout = options.timeoutMs ?? 30_000;
    // One connection per delivery: a pooled connection Dovecot closed while idle would turn into
    // a needless 451 for the busta that tried to use it.
    this.transport = nodemailer.createTransport({
      host: options.lmtp.host,
      port: options.lmtp.port,
      lmtp: true,
      name: options.lhloName,
      // LMTP runs on the internal network (compose does not publish it): no STARTTLS round trips
      ignoreTLS: true,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: Math.max(timeout, 120_000),
    } as nodemailer.TransportOptions);
    this.retentionMs = options.retentionMs ?? 7 * dayMs;
  }

  async store(recipient: string, raw: Buffer, request: StoreRequest = {}): Promise<StoreOutcome> {
    const address = recipient.toLowerCase();
    const keyHash = request.deliveryKey ? deliveryKeyHash(request.deliveryKey) : undefined;
    const data = keyHash ? Buffer.concat([Buffer.from(`${deliveryKeyHeader}: ${keyHash}\r\n`), raw]) : raw;
    let code: number;
    let response: string;
    try {
      const info = (await this.transport.sendMail({
        envelope: { from: this.options.envelopeFrom, to: [address] },
        raw: data,
      })) as { response: string; rejectedErrors?: SmtpError[] };
      // LMTP: one answer per recipient after the data; ours is the only one
      const refused = info.rejectedErrors?.[0];
      code = refused?.responseCode ?? Number(info.response.slice(0, 3));
      response = refused?.response ?? info.response;
    } catch (err) {
      const e = err as SmtpError;
      const answer = e.rejectedErrors?.[0] ?? e;
      if (!answer.responseCode)
        throw new TemporaryStoreError(`LMTP ${this.where()}: ${e.message}`, { cause: err });
      code = answer.responseCode;
      response = answer.response ?? e.message;
    }
    const outcome = classifyLmtpAnswer(code, response);
    if (outcome === 'temporary')
      throw new TemporaryStoreError(`LMTP ${this.where()} for ${address}: ${response}`);
    if (outcome.stored && keyHash) {
      // right after the 250: the crash window (see above) is this one insert
      await this.options.records.add(keyHash, address);
      this.pruneNowAndThen();
    }
    return outcome;
  }

  async isStored(recipient: string, deliveryKey: string): Promise<boolean> {
    const keyHash = deliveryKeyHash(deliveryKey);
    if (await this.options.records.has(keyHash)) return true;
    if (!this.options.maildirRoot || !(await this.foundInMaildir(recipient, keyHash))) return false;
    // the record the crash prevented: the next retry needs no scan
    await this.options.records.add(keyHash, recipient);
    return true;
  }

  /** Looks for the key header in the copies stored within the retention period (retry path only). */
  private async foundInMaildir(recipient: string, keyHash: string): Promise<boolean> {
    const since = (Date.now() - this.retentionMs) / 1000;
    const needle = Buffer.from(`\n${deliveryKeyHeader}: ${keyHash}`);
    const head = Buffer.alloc(16 * 1024);
    // A file a reader moved from new/ to cur/ after the listing is not found where listed: list again.
    for (let pass = 0; pass < 2; pass++) {
      let moved = false;
      // Maildir names start with the delivery time in seconds
      for (const { file: name, name: base } of await listDelivered(this.options.maildirRoot!, recipient)) {
        if (Number.parseInt(base, 10) < since) continue;
        const file = await fs.open(name, 'r').catch(() => null);
        if (!file) {
          moved = true;
          continue;
        }
        try {
          const { bytesRead } = await file.read(head, 0, head.length, 0);
          // the header sits among the first few Dovecot adds on top
          if (Buffer.concat([Buffer.from('\n'), head.subarray(0, bytesRead)]).includes(needle)) return true;
        } finally {
          await file.close();
        }
      }
      if (!moved) break;
    }
    return false;
  }

  private pruneNowAndThen(): void {
    const now = Date.now();
    if (now - this.lastPrune < 3_600_000) return;
    this.lastPrune = now;
    // housekeeping: a failure only delays it to the next hour
    this.options.records.prune(new Date(now - this.retentionMs)).catch(() => undefined);
  }

  private where(): string {
    return `${this.options.lmtp.host}:${this.options.lmtp.port}`;
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
