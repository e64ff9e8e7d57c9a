/**
 * Access point (punto di accesso, spec §2.6, §4.1), free of Haraka: authentication of our users
 * with rate limiting, the formal checks, and the outcome — a signed avviso di non accettazione, or
 * the busta di trasporto queued for every recipient followed by the ricevuta di accettazione.
 * The accettazione is queued only after the busta is on disk, so it never promises what a crash
 * could lose; both share one timestamp (spec §5.4).
 */
import type { InflowGate } from './inflow';
import { createHash } from 'node:crypto';
import {
  buildAccettazione,
  buildBustaTrasporto,
  buildNonAccettazione,
  describeOriginal,
  newPecMessageId,
  readMime,
  toCrlf,
  type BuildContext,
  type NonAccettazioneCause,
  type PecRecipient,
} from '@/mail/pec';
import type { MessageStateStore } from './message-state';
import type { Outbox } from './spool';
import type { TransmissionLogWriter } from './transmission-log';
import type { VirusScanner } from './virus-scan';
import type { VirusStore } from './virus-store';

export interface MailboxCredentials {
  address: string;
  passwordHash: string;
  status: 'ACTIVE' | 'SUSPENDED' | 'EXPIRED' | 'CEASED';
  expiresAt?: Date | null;
}

export interface SubmissionDeps {
  context: () => BuildContext;
  credentials: (address: string) => Promise<MailboxCredentials | null>;
  verifyPassword: (stored: string, password: string) => Promise<boolean>;
  /** certificato (PEC domain: ours or in the provider index) or esterno. */
  isCertified: (domain: string) => boolean;
  outbox: Outbox;
  log: TransmissionLogWriter;
  limits: { maxMessageBytes: number; maxRecipients: number };
  /** Failed logins allowed per address and per IP within `windowMs` before refusing outright. */
  authFailureLimit?: number;
  authFailureWindowMs?: number;
  /** Message and recipient state, with the 12 h / 24 h deadlines. */
  state?: MessageStateStore;
  /** How long a successful password check is remembered (0: never); default 60 s. */
  verifiedLoginTtlMs?: number;
  /** The sender mailbox's quota and usage: no accettazione is issued that its box cannot hold. */
  senderUsage?: (address: string) => Promise<{ quotaBytes: number; usedBytes?: number } | null>;
  /** Antivirus (spec §4.1); absent: no scan. */
  scanner?: VirusScanner;
  /** Where infected submissions are kept (required with a scanner). */
  virusStore?: VirusStore;
  /** Submissions give way to reception when the MTA is busy (inflow.ts). */
  inflow?: InflowGate;
}

const addressPattern = /[^\s<>,;:"()[\]]+@[^\s<>,;:"()[\]]+/g;
/** Addresses of an address-list header, lower case; display names in quotes are skipped. */
export function headerAddresses(value: string | undefined): string[] {
  return (value?.replace(/"(?:[^"\\]|\\.)*"/g, ' ').match(addressPattern) ?? []).map((a) => a.toLowerCase());
}

export interface FormalCheckInput {
  authUser: string;
  mailFrom: string;
  rcptTo: string[];
  raw: Buffer;
  limits: { maxMessageBytes: number; maxRecipients: number };
}

/** The first formal check that fails (spec §2.6), with a detail for the notice, or null. */
export function formalCheck(
  input: FormalCheckInput,
): { cause: NonAccettazioneCause; detail?: string } | null {
  const h = readMime(input.raw).root.headers;
  const from = headerAddresses(h.get('from'));
  if (from.length !== 1) return { cause: 'from-non-valido' };
  const to = headerAddresses(h.get('to'));
  if (to.length === 0) return { cause: 'to-non-valido' };
  const mailFrom = input.mailFrom.toLowerCase();
  if (from[0] !== mailFrom || mailFrom !== input.authUser.toLowerCase())
    return { cause: 'mittente-non-coerente' };
  if ((h.get('bcc') ?? '').trim() !== '') return { cause: 'bcc-presente' };
  const headerSet = new Set([...to, ...headerAddresses(h.get('cc'))]);
  const envelopeSet = new Set(input.rcptTo.map((r) => r.toLowerCase()));
  if (headerSet.size !== envelopeSet.size || [...headerSet].some((a) => !envelopeSet.has(a))) {
    return { cause: 'destinatari-non-coerenti' };
  }
  if (envelopeSet.size > input.limits.maxRecipients) {
    return { cause: 'destinatari-non-coerenti', detail: `più di ${input.limits.maxRecipients} destinatari` };
  }
  if (input.raw.length * envelopeSet.size > input.limits.maxMessageBytes) {
    return { cause: 'dimensione-eccessiva', detail: `limite ${input.limits.maxMessageBytes} byte` };
  }
  return null;
}

/** Room kept for the accettazione in the sender's box (a signed receipt is a few KB). */
export const accettazioneHeadroomBytes = 32 * 1024;

/**
 * The sender's own box is full: refused at SMTP level with 452 4.2.2 (pec-spec §3, proposed rule),
 * before anything is written, so no accettazione is issued that cannot be stored. `code` rather
 * than instanceof: each Haraka plugin bundle has its own copy of this class.
 */
export class SenderMailboxFullError extends Error {
  readonly code = 'SENDER_MAILBOX_FULL';
  constructor(address: string) {
    super(`mailbox ${address} is full: free some space before sending`);
  }
}

function isFull(usage: { quotaBytes: number; usedBytes?: number }): boolean {
  return usage.quotaBytes > 0 && (usage.usedBytes ?? 0) + accettazioneHeadroomBytes > usage.quotaBytes;
}

export interface SubmissionResult {
  accepted: boolean;
  identificativo: string;
  cause?: NonAccettazioneCause | 'virus';
}

/** Sliding-window failure counter (per address, per IP). */
class FailureCounter {
  private readonly failures = new Map<string, number[]>();
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}
  blocked(key: string, now: number): boolean {
    const recent = (this.failures.get(key) ?? []).filter((t) => now - t < this.windowMs);
    this.failures.set(key, recent);
    return recent.length >= this.limit;
  }
  add(key: string, now: number): void {
    this.failures.set(key, [...(this.failures.get(key) ?? []), now]);
    if (this.failures.size > 100_000) this.failures.clear(); // memory bound under a spray attack
  }
}

/**
 * Successful argon2 verifications, remembered briefly: a mail client that opens a connection per
 * message would otherwise pay ~20 MiB and tens of ms of CPU (hundreds under load) for every login.
 * Keyed by a digest of stored hash and password, so a changed password or hash never matches.
 */
class VerifiedLogins {
  private readonly until = new Map<string, number>();
  constructor(private readonly ttlMs: number) {}
  private key(passwordHash: string, password: string): string {
    return createHash('sha256').update(passwordHash).update('\0').update(password).digest('base64');
  }
  has(passwordHash: string, password: string, now: number): boolean {
    const key = this.key(passwordHash, password);
    const until = this.until.get(key);
    if (until === undefined) return false;
    if (until > now) return true;
    this.until.delete(key);
    return false;
  }
  add(passwordHash: string, password: string, now: number): void {
    if (this.ttlMs <= 0) return;
    if (this.until.size >= 10_000) this.until.clear(); // memory bound
    this.until.set(this.key(passwordHash, password), now + this.ttlMs);
  }
}

export class SubmissionPoint {
  private readonly failures: FailureCounter;
  private readonly verified: VerifiedLogins;

  constructor(private readonly deps: SubmissionDeps) {
    this.failures = new FailureCounter(deps.authFailureLimit ?? 5, deps.authFailureWindowMs ?? 15 * 60_000);
    this.verified = new VerifiedLogins(deps.verifiedLoginTtlMs ?? 60_000);
  }

  /** Checks a login: active, unexpired mailbox and right password, unless rate-limited. */
  async authenticate(user: string, password: string, ip: string): Promise<{ ok: boolean; reason: string }> {
    const address = user.trim().toLowerCase();
    const now = Date.now();
    if (this.failures.blocked(`a:${address}`, now) || this.failures.blocked(`i:${ip}`, now)) {
      return { ok: false, reason: 'too many failed logins, try later' };
    }
    const mailbox = await this.deps.credentials(address);
    const usable =
      mailbox !== null &&
      mailbox.status === 'ACTIVE' &&
      !(mailbox.expiresAt && mailbox.expiresAt.getTime() <= now);
    // Status and expiry above are read afresh on every login; only the hash comparison is remembered.
    let ok = false;
    if (usable && this.verified.has(mailbox.passwordHash, password, now)) ok = true;
    else if (usable) {
      ok = await this.deps.verifyPassword(mailbox.passwordHash, password);
      if (ok) this.verified.add(mailbox.passwordHash, password, now);
    }
    if (!ok) {
      this.failures.add(`a:${address}`, now);
      this.failures.add(`i:${ip}`, now);
      return { ok: false, reason: mailbox && !usable ? 'mailbox not active' : 'authentication failed' };
    }
    return { ok: true, reason: 'ok' };
  }

  /**
   * False when the sender's box lacks room for an accettazione (checked at MAIL FROM and again at
   * DATA); the refusal is logged, as every refusal is.
   */
  async senderHasRoom(address: string, recipients: readonly string[] = []): Promise<boolean> {
    const usage = await this.deps.senderUsage?.(address.toLowerCase());
    if (!usage || !isFull(usage)) return true;
    await this.deps.log.write({
      type: 'REFUSED',
      sender: address.toLowerCase(),
      recipient: recipients.length ? recipients.join(',') : null,
      outcome: 'REFUSED',
      details: {
        reason: 'sender mailbox full',
        usedBytes: usage.usedBytes ?? null,
        quotaBytes: usage.quotaBytes,
      },
    });
    return false;
  }

  async submit(
    authUser: string,
    envelope: { from: string; to: string[] },
    raw: Buffer,
  ): Promise<SubmissionResult> {
    await this.deps.inflow?.admitSubmission();
    if (!(await this.senderHasRoom(authUser, envelope.to))) {
      throw new SenderMailboxFullError(authUser);
    }
    const ctx = this.deps.context();
    const identificativo = newPecMessageId(ctx.now, {
      domain: ctx.provider.domain,
      node: ctx.provider.node,
      timeZone: ctx.provider.timeZone,
    });
    const h = readMime(raw).root.headers;
    const to = new Set(headerAddresses(h.get('to')));
    const recipients: PecRecipient[] = [...new Set(envelope.to.map((r) => r.toLowerCase()))].map(
      (address) => ({
        address,
        tipo: this.deps.isCertified(address.slice(address.lastIndexOf('@') + 1)) ? 'certificato' : 'esterno',
        field: to.has(address) ? 'to' : 'cc',
      }),
    );
    // Over the CRLF text the busta wraps, so these are also the facts its daticert states.
    const facts = describeOriginal({ original: toCrlf(raw), sender: envelope.from, recipients, identificativo });
    const base = { identificativo, originalMessageId: facts.msgid, sender: envelope.from };
    // Antivirus first, before anything is written: clamd unavailable throws, the plugin answers 4xx
    // and the client keeps the message; unscanned mail is never accepted.
    const scan = this.deps.scanner ? await this.deps.scanner.scan(raw) : { infected: false as const };
    // The SUBMISSION row does not depend on what follows: it is written while the busta is built and
    // spooled, and awaited before we answer, so the log is still complete when the client hears 250.
    const submissionLogged = this.deps.log.write({
      ...base,
      type: 'SUBMISSION',
      recipient: recipients.map((r) => r.address).join(','),
      outcome: 'OK',
    });
    submissionLogged.catch(() => undefined); // awaited below; this only keeps an early throw from leaving it unhandled

    const failed: { cause: NonAccettazioneCause | 'virus'; detail?: string } | null = scan.infected
      ? { cause: 'virus', detail: scan.virus }
      : formalCheck({
          authUser,
          mailFrom: envelope.from,
          rcptTo: envelope.to,
          raw,
          limits: this.deps.limits,
        });
    if (failed) {
      if (scan.infected) {
        // Kept apart for 30 months (spec §2.2.4) before the user hears of it; nothing is relayed.
        if (!this.deps.virusStore) throw new Error('virus found but no virus store configured');
        const kept = await this.deps.virusStore.keep(raw, {
          stage: 'access-point',
          ...base,
          recipients: recipients.map((r) => r.address),
          virus: scan.virus,
          detectedAt: ctx.now,
        });
        await this.deps.log.write({
          ...base,
          type: 'VIRUS',
          recipient: recipients.map((r) => r.address).join(','),
          outcome: 'REFUSED',
          details: { stage: 'access-point', virus: scan.virus, virusStoreId: kept.id },
        });
      }
      const notice = await buildNonAccettazione({ ctx, facts, cause: failed.cause, detail: failed.detail });
      // The notice goes to the authenticated mailbox: the only sender we know is real.
      await this.deps.outbox.enqueue(
        { from: notice.envelope.from, to: [authUser.toLowerCase()] },
        notice.chunks,
        { label: notice.kind },
      );
      await this.deps.log.write({
        ...base,
        type: 'NON_ACCETTAZIONE',
        recipient: authUser,
        outcome: 'REFUSED',
        details: { cause: failed.cause, detail: failed.detail ?? null, messageId: notice.messageId },
      });
      await submissionLogged;
      return { accepted: false, identificativo, cause: failed.cause };
    }

    // Both signed at once: each signature waits for a thread of the pool, then for the event loop.
    const [busta, accettazione] = await Promise.all([
      buildBustaTrasporto({ ctx, original: raw, sender: envelope.from, recipients, identificativo }),
      buildAccettazione({ ctx, facts }),
    ]);
    // The busta and its accettazione are queued as one: after a crash both exist or neither does
    // (and then the client, which never heard 250, sends again). They are held until the state is
    // recorded, so a fast receipt always finds its message; a crash in between still sends them,
    // a failure to record discards them and refuses the message.
    const queued = await this.deps.outbox.enqueueAll(
      [
        {
          envelope: { from: envelope.from, to: recipients.map((r) => r.address) },
          data: busta.chunks,
          options: { label: busta.kind, ref: identificativo },
        },
        {
          envelope: { from: accettazione.envelope.from, to: [envelope.from] },
          data: accettazione.chunks,
          options: { label: accettazione.kind },
        },
      ],
      { hold: true },
    );
    const ids = queued.map((q) => q.id);
    try {
      await this.deps.state?.recordSubmission({
        identificativo,
        originalMessageId: facts.msgid,
        sender: envelope.from,
        subject: facts.oggetto,
        receiptType: facts.ricevuta,
        sizeBytes: raw.length,
        recipients,
        original: raw,
        acceptedAt: ctx.now,
      });
    } catch (err) {
      // No state, no 250: the held busta and accettazione never leave, the client retries.
      await this.deps.outbox.discard(ids);
      throw err;
    }
    this.deps.outbox.release(ids);
    await this.deps.log.write({
      ...base,
      type: 'ACCETTAZIONE',
      recipient: envelope.from,
      outcome: 'OK',
      details: {
        messageId: accettazione.messageId,
        recipients: recipients.map((r) => `${r.address} (${r.tipo})`),
      },
    });
    await submissionLogged;
    return { accepted: true, identificativo };
  }
}
