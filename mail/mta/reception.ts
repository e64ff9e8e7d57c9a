/**
 * Reception point and delivery point (punto di ricezione / di consegna, spec §4.2-4.3), free of
 * Haraka: the plugin hands over the SMTP envelope and the bytes, this decides and acts.
 *
 * - valid busta from a trusted provider → presa in carico to that provider's mailReceipt, then per
 *   local recipient: store in the Maildir → avvenuta consegna (type per To/Cc), or mancata consegna
 *   (unknown, suspended, expired, over quota);
 * - valid PEC receipt / notice → stored as is, nothing issued;
 * - anything else → busta di anomalia stored for each recipient (or refused, per mailbox policy).
 * Messages we issue leave through the outbound spool, so they are on disk before we answer 250. A
 * busta's recipients are claimed in the database for the attempt delivering them (message-state.ts):
 * the same busta retried meanwhile gets a temporary failure instead of a second delivery.
 */
import { serviceAddress } from '@/mail/pec/build/assemble';
import type { InflowGate } from './inflow';
import {
  buildAvvenutaConsegna,
  buildBustaAnomalia,
  buildMancataConsegna,
  buildPresaInCarico,
  buildRilevazioneVirus,
  deliveryReceiptType,
  factsFromDaticert,
  inspectMessage,
  readMime,
  type BuildContext,
  type BuiltMessage,
  type InspectReport,
  type ProviderIndex,
  type TransactionFacts,
  type TrustStore,
} from '@/mail/pec';
import { MaildirMessageStore, type MessageStore } from './message-store';
import type { MessageStateStore } from './message-state';
import { domainSet, type DomainSet } from './routing';
import type { Outbox, SpooledMessage } from './spool';
import type { TransmissionEvent, TransmissionLogWriter } from './transmission-log';
import type { ScanVerdict, VirusScanner } from './virus-scan';
import type { VirusStore } from './virus-store';

export interface LocalMailbox {
  address: string;
  status: 'ACTIVE' | 'SUSPENDED' | 'EXPIRED' | 'CEASED';
  expiresAt?: Date | null;
  /** 0 = unlimited. */
  quotaBytes: number;
  /** Known usage (from the database); measured from the Maildir when absent. */
  usedBytes?: number;
  /** What to do with ordinary (non-PEC) mail: wrap it in a busta di anomalia, or refuse it. */
  ordinaryMail: 'anomalia' | 'refuse';
}

export interface MailboxDirectory {
  find(address: string): Promise<LocalMailbox | null>;
  /**
   * Called after a successful store, so usage can be kept without rescanning. May resolve before the
   * count reaches the database (DatabaseMailboxDirectory writes it moments later).
   */
  recordDelivery?(address: string, bytes: number): Promise<void>;
}

export interface ReceptionDeps {
  /** Our identity and signer; `now` is taken per transaction. */
  context: () => BuildContext;
  trust: TrustStore;
  index: ProviderIndex;
  /** Our PEC domains: recipients there are ours. */
  ownDomains: readonly string[] | DomainSet;
  maildirRoot: string;
  /** Where messages go (MTA_DELIVERY): default, written into the Maildirs under maildirRoot. */
  store?: MessageStore;
  mailboxes: MailboxDirectory;
  outbox: Outbox;
  log: TransmissionLogWriter;
  /** Message state: suppresses duplicate deliveries of retried bustas, matches returning receipts. */
  state?: MessageStateStore;
  /** Antivirus on every valid busta (spec §4.2); absent: no scan. */
  scanner?: VirusScanner;
  /** Where infected bustas are kept (required with a scanner). */
  virusStore?: VirusStore;
  /** Counts reception transactions so that submissions give way to them (inflow.ts). */
  inflow?: InflowGate;
}

export type ReceptionVerdict = 'busta' | 'receipt' | 'anomalia';

export interface ReceptionResult {
  verdict: ReceptionVerdict;
  /** SMTP answer for the whole message: accept, or refuse (ordinary mail nobody accepts). */
  accept: boolean;
  reason?: string;
  delivered: string[];
  failed: { recipient: string; reason: string }[];
  issued: BuiltMessage['kind'][];
}

const addressPattern = /[^\s<>,;:"()[\]]+@[^\s<>,;:"()[\]]+/g;
function addressesIn(value: string | undefined): string[] {
  return (value?.replace(/"[^"]*"/g, ' ').match(addressPattern) ?? []).map((a) => a.toLowerCase());
}

/** To/Cc of the original (postacert.eml), to pick the receipt type per recipient. */
function recipientFields(original: Buffer | null): { to: Set<string>; cc: Set<string> } {
  if (!original) return { to: new Set(), cc: new Set() };
  const h = readMime(original).root.headers;
  return { to: new Set(addressesIn(h.get('to'))), cc: new Set(addressesIn(h.get('cc'))) };
}

function isUsable(m: LocalMailbox, now: Date): boolean {
  return m.status === 'ACTIVE' && !(m.expiresAt && m.expiresAt.getTime() <= now.getTime());
}

/** Independent writes started now and awaited together before the SMTP answer. */
class PendingWrites {
  private readonly writes: Promise<unknown>[] = [];
  add(write: Promise<unknown> | undefined): void {
    if (!write) return;
    write.catch(() => undefined); // reported by settled(); this only keeps an early throw from leaving it unhandled
    this.writes.push(write);
  }
  async settled(): Promise<void> {
    await Promise.all(this.writes);
  }
}

export class ReceptionPoint {
  private readonly ownDomains: DomainSet;
  private readonly store: MessageStore;

  constructor(private readonly deps: ReceptionDeps) {
    this.ownDomains = domainSet(deps.ownDomains);
    this.store = deps.store ?? new MaildirMessageStore(deps.maildirRoot);
  }

  isLocal(address: string): boolean {
    return this.ownDomains.has(address.slice(address.lastIndexOf('@') + 1).toLowerCase());
  }

  /**
   * RCPT-time decision for a local address: known mailboxes and our service address are accepted;
   * an unknown one only when the sender is a PEC domain (a busta for it earns a mancata consegna).
   */
  async acceptsRecipient(recipient: string, sender: string): Promise<boolean> {
    const address = recipient.toLowerCase();
    if (!this.isLocal(address)) return false;
    if (address === this.serviceAddress()) return true;
    if (await this.deps.mailboxes.find(address)) return true;
    const senderDomain = sender.slice(sender.lastIndexOf('@') + 1);
    return (
      this.ownDomains.has(senderDomain.toLowerCase()) || this.deps.index.byDomain(senderDomain) !== undefined
    );
  }

  private serviceAddress(): string {
    return serviceAddress(this.deps.context()).toLowerCase();
  }

  async receive(envelope: { from: string; to: string[] }, raw: Buffer): Promise<ReceptionResult> {
    return this.deps.inflow
      ? this.deps.inflow.reception(() => this.receiveNow(envelope, raw))
      : this.receiveNow(envelope, raw);
  }

  private async receiveNow(envelope: { from: string; to: string[] }, raw: Buffer): Promise<ReceptionResult> {
    const ctx = this.deps.context();
    const recipients = [...new Set(envelope.to.map((r) => r.toLowerCase()).filter((r) => this.isLocal(r)))];
    const report = inspectMessage(raw, { trust: this.deps.trust, now: ctx.now });
    const valid =
      report.kind !== 'non-pec' &&
      report.kind !== 'anomalia' &&
      report.signature.intact &&
      report.signature.trusted === true &&
      report.problems.length === 0 &&
      report.daticert !== null;
    if (valid && report.kind === 'posta-certificata')
      return this.receiveBusta(ctx, envelope.from, recipients, raw, report);
    if (
      valid ||
      (report.kind === 'anomalia' && report.signature.trusted === true && report.signature.intact)
    ) {
      return this.receiveNotice(ctx, envelope.from, recipients, raw, report);
    }
    return this.receiveAnomalia(ctx, envelope.from, recipients, raw, report);
  }

  private async receiveBusta(
    ctx: BuildContext,
    sender: string,
    recipients: string[],
    raw: Buffer,
    report: InspectReport,
  ): Promise<ReceptionResult> {
    const facts: TransactionFacts = factsFromDaticert(report.daticert!);
    const provider = this.deps.index.providers.find((p) => p.providerName === report.signature.provider);
    const counterpart = provider?.providerName ?? report.signature.provider;
    const result: ReceptionResult = { verdict: 'busta', accept: true, delivered: [], failed: [], issued: [] };
    const base: Omit<TransmissionEvent, 'type' | 'outcome'> = {
      identificativo: facts.identificativo,
      originalMessageId: facts.msgid,
      sender: facts.mittente,
      counterpartProvider: counterpart,
    };
    // Antivirus before anything is recorded: clamd unavailable throws, the plugin answers 4xx and
    // the sending provider retries; an unscanned busta is never taken in charge.
    const scan = this.deps.scanner ? await this.deps.scanner.scan(raw) : { infected: false as const };
    // A busta retried after a crash: recipients already settled get nothing twice. The others are
    // claimed for this attempt (another one at the same busta throws, and its sender retries later).
    let pending = recipients;
    let retried = new Set<string>();
    let claim: string | null = null;
    if (this.deps.state) {
      const known = await this.deps.state.beginInbound({
        identificativo: facts.identificativo,
        originalMessageId: facts.msgid,
        sender: facts.mittente,
        subject: facts.oggetto,
        counterpartProvider: counterpart,
        sizeBytes: raw.length,
        recipients,
      });
      claim = known.claim;
      pending = recipients.filter((r) => !known.settled.has(r));
      retried = new Set(pending.filter((r) => !known.newlyReceived.includes(r)));
    }
    try {
      return await this.takeInCharge({
        ctx,
        facts,
        base,
        sender,
        recipients,
        raw,
        report,
        scan,
        provider,
        result,
        pending,
        retried,
      });
    } catch (err) {
      // Nothing settled for good: the sender's retry (a 4xx follows) claims these recipients again.
      if (claim) await this.deps.state?.releaseInbound(facts.identificativo, claim).catch(() => undefined);
      throw err;
    }
  }

  /** A valid busta's presa in carico, then each claimed recipient's delivery and receipt. */
  private async takeInCharge(input: {
    ctx: BuildContext;
    facts: TransactionFacts;
    base: Omit<TransmissionEvent, 'type' | 'outcome'>;
    sender: string;
    recipients: string[];
    raw: Buffer;
    report: InspectReport;
    scan: ScanVerdict;
    provider: { mailReceipt?: string | null } | undefined;
    result: ReceptionResult;
    pending: string[];
    retried: Set<string>;
  }): Promise<ReceptionResult> {
    const { ctx, facts, base, sender, recipients, raw, report, scan, provider, result, pending, retried } = input;
    // Log rows and quota counters depend on nothing that follows: they run alongside the spooling and
    // delivery below and are all awaited before we return (and so before the 250; the database
    // directory answers for usage once it has counted it, and writes the row later). Everything below
    // may run twice for a recipient (B killed before `settleInbound` committed, the busta retried):
    // receipts are spooled under a key of (identificativo, recipient) and log rows are `once`, so a
    // retry completes what the crash interrupted and repeats nothing.
    const records = new PendingWrites();
    for (const r of pending)
      records.add(
        this.deps.log.write({ ...base, type: 'RECEIVED', recipient: r, outcome: 'OK', once: true }),
      );

    // Presa in carico first (first of the batch spooled below): it states that we took charge of
    // every local recipient (spec §4.2).
    const mailReceipt = provider?.mailReceipt;
    const presa =
      mailReceipt && pending.length > 0
        ? await buildPresaInCarico({ ctx, facts, mailReceipt, ricezione: recipients })
        : undefined;
    const presaQueued = () => {
      if (!presa) return;
      result.issued.push(presa.kind);
      records.add(
        this.deps.log.write({
          ...base,
          type: 'PRESA_IN_CARICO_SENT',
          recipient: recipients.join(','),
          outcome: 'OK',
          details: { messageId: presa.messageId, to: mailReceipt },
          once: true,
        }),
      );
    };
    /** The presa in carico and every recipient's receipt, spooled together below. */
    const outgoing: SpooledMessage[] = [];
    if (presa)
      outgoing.push({
        envelope: presa.envelope,
        data: presa.chunks,
        options: { label: presa.kind, key: `presa-in-carico ${facts.identificativo}` },
      });

    if (scan.infected) {
      await this.deps.outbox.enqueueAll(outgoing);
      presaQueued();
      await this.refuseInfected(
        ctx,
        facts,
        base,
        raw,
        pending,
        scan.virus,
        mailReceipt ?? undefined,
        result,
        records,
      );
      await records.settled();
      return result;
    }

    const fields = recipientFields(report.original);
    /** Each receipt's log row and state, once it is queued. */
    const settlements: (() => void)[] = [];
    for (const recipient of pending) {
      const failure = await this.deliver(
        recipient,
        raw,
        ctx.now,
        `${facts.identificativo} ${recipient}`,
        retried.has(recipient),
        records,
      );
      let receipt: BuiltMessage;
      if (failure) {
        receipt = await buildMancataConsegna({
          ctx,
          facts,
          consegna: recipient,
          errore: failure.errore,
          erroreEsteso: failure.text,
        });
        result.failed.push({ recipient, reason: failure.text });
      } else {
        const field = fields.cc.has(recipient) && !fields.to.has(recipient) ? 'cc' : 'to';
        const ricevuta = deliveryReceiptType(facts.ricevuta, field);
        receipt = await buildAvvenutaConsegna({
          ctx,
          facts,
          consegna: recipient,
          ricevuta,
          postacert: ricevuta === 'sintetica' ? undefined : (report.original ?? undefined),
        });
        result.delivered.push(recipient);
      }
      // Receipts go to the SMTP reverse-path of the busta, i.e. the original sender (spec §2.1).
      outgoing.push({
        envelope: { from: receipt.envelope.from, to: [sender] },
        data: receipt.chunks,
        options: { label: receipt.kind, key: `consegna ${facts.identificativo} ${recipient}` },
      });
      settlements.push(() => {
        result.issued.push(receipt.kind);
        this.logThenSettle(
          records,
          facts.identificativo,
          {
            ...base,
            type: failure ? 'MANCATA_CONSEGNA_SENT' : 'AVVENUTA_CONSEGNA_SENT',
            recipient,
            outcome: failure ? 'ERROR' : 'OK',
            details: { messageId: receipt.messageId, ...(failure ? { reason: failure.text } : {}) },
          },
          !failure,
          failure?.text,
        );
      });
    }
    // One durable spool write for all of them (one file, one fsync) instead of one each. Nothing
    // is acknowledged before it: a crash before it leaves the busta unanswered, and its retry finds
    // the deliveries already stored (deliver() above) and queues these receipts then, under the same keys.
    await this.deps.outbox.enqueueAll(outgoing);
    presaQueued();
    for (const settle of settlements) settle();
    await records.settled();
    return result;
  }

  /**
   * Virus inside a valid busta (spec §4.2): kept in the virus store, delivered to nobody, and one
   * avviso di rilevazione virus per local recipient to the sender provider's service mailbox.
   */
  private async refuseInfected(
    ctx: BuildContext,
    facts: TransactionFacts,
    base: Omit<TransmissionEvent, 'type' | 'outcome'>,
    raw: Buffer,
    recipients: string[],
    virus: string,
    mailReceipt: string | undefined,
    result: ReceptionResult,
    records: PendingWrites,
  ): Promise<void> {
    if (!this.deps.virusStore) throw new Error('virus found but no virus store configured');
    const kept = await this.deps.virusStore.keep(raw, {
      stage: 'reception-point',
      identificativo: facts.identificativo,
      originalMessageId: facts.msgid,
      sender: facts.mittente,
      recipients,
      virus,
      counterpartProvider: base.counterpartProvider,
      detectedAt: ctx.now,
    });
    for (const recipient of recipients) {
      const notice = mailReceipt
        ? await buildRilevazioneVirus({ ctx, facts, mailReceipt, consegna: recipient, virus })
        : undefined;
      if (notice) {
        // keyed: a busta retried after a crash never yields a second notice
        await this.deps.outbox.enqueue(notice.envelope, notice.chunks, {
          label: notice.kind,
          key: `rilevazione-virus ${facts.identificativo} ${recipient}`,
        });
        result.issued.push(notice.kind);
      }
      const reason = `rilevato virus: ${virus}`;
      result.failed.push({ recipient, reason });
      this.logThenSettle(
        records,
        facts.identificativo,
        {
          ...base,
          type: 'VIRUS',
          recipient,
          outcome: 'REFUSED',
          details: {
            stage: 'reception-point',
            virus,
            virusStoreId: kept.id,
            messageId: notice?.messageId ?? null,
            to: mailReceipt ?? null,
          },
        },
        false,
        reason,
      );
    }
  }

  /**
   * A recipient's final event of an inbound busta: the log row (once) goes on record before the
   * state settles, because once settled a retried busta skips this recipient; both run alongside
   * the next recipient's delivery and are awaited before the 250.
   */
  private logThenSettle(
    records: PendingWrites,
    identificativo: string,
    event: TransmissionEvent & { recipient: string },
    delivered: boolean,
    reason?: string,
  ): void {
    const logged = this.deps.log.write({ ...event, once: true });
    records.add(
      logged.then(() => this.deps.state?.settleInbound(identificativo, event.recipient, delivered, reason)),
    );
  }

  /**
   * A rilevazione virus about a message one of our users sent (spec §4.2): the user gets an avviso
   * di mancata consegna per virus. Keyed, so a notice re-sent by the other provider never reaches the
   * user twice. The recipient's state fails when that notice reaches the user's mailbox through
   * this reception point, like any errore-consegna (failing it here first would make it look like a
   * duplicate there).
   */
  private async answerRilevazioneVirus(ctx: BuildContext, report: InspectReport): Promise<void> {
    const d = report.daticert;
    if (report.kind !== 'rilevazione-virus' || !d?.dati.consegna) return;
    const facts = factsFromDaticert(d);
    if (!this.isLocal(facts.mittente)) return;
    const consegna = d.dati.consegna.toLowerCase();
    const erroreEsteso = d.dati.erroreEsteso ?? 'rilevato virus';
    const notice = await buildMancataConsegna({ ctx, facts, consegna, errore: 'virus', erroreEsteso });
    await this.deps.outbox.enqueue({ from: notice.envelope.from, to: [facts.mittente] }, notice.chunks, {
      label: notice.kind,
      key: `mancata-consegna-virus ${facts.identificativo} ${consegna}`,
    });
    await this.deps.log.write({
      type: 'VIRUS',
      identificativo: facts.identificativo,
      originalMessageId: facts.msgid,
      sender: facts.mittente,
      recipient: consegna,
      counterpartProvider: report.signature.provider,
      outcome: 'ERROR',
      details: { stage: 'rilevazione-virus-received', erroreEsteso, messageId: notice.messageId },
      once: true,
    });
  }

  /** Stores a busta for one recipient; returns why it could not be, or null. */
  private async deliver(
    recipient: string,
    raw: Buffer,
    now: Date,
    deliveryKey: string,
    retry: boolean,
    records: PendingWrites,
  ): Promise<{ errore: 'no-dest' | 'altro'; text: string } | null> {
    // A busta taken in charge before a crash may already be in the box: never store it twice.
    if (retry && (await this.store.isStored(recipient, deliveryKey))) return null;
    const mailbox = await this.deps.mailboxes.find(recipient);
    const provider = this.deps.context().provider.name;
    if (!mailbox) return { errore: 'no-dest', text: `5.1.1 - ${provider} - indirizzo non valido` };
    if (!isUsable(mailbox, now)) return { errore: 'altro', text: `5.2.1 - ${provider} - casella non attiva` };
    // The consegna is built only once the store confirmed (LMTP: its 250 for this recipient); a
    // temporary failure throws, so the sender gets 4xx and retries, and no receipt goes out.
    const stored = await this.store.store(recipient, raw, {
      quotaBytes: mailbox.quotaBytes,
      usedBytes: mailbox.usedBytes,
      deliveryKey,
    });
    if (!stored.stored) {
      if (stored.refusal === 'over-quota')
        return { errore: 'altro', text: `5.2.2 - ${provider} - casella piena` };
      if (stored.refusal === 'unknown-mailbox')
        return { errore: 'no-dest', text: `5.1.1 - ${provider} - indirizzo non valido` };
      return { errore: 'altro', text: `5.3.0 - ${provider} - messaggio rifiutato dalla casella` };
    }
    // The message is durably stored; the usage counter need not hold up the consegna.
    records.add(this.deps.mailboxes.recordDelivery?.(recipient, raw.length));
    return null;
  }

  /** A valid receipt or notice for our users (or our service mailbox): delivered unchanged. */
  private async receiveNotice(
    ctx: BuildContext,
    sender: string,
    recipients: string[],
    raw: Buffer,
    report: InspectReport,
  ): Promise<ReceptionResult> {
    const result: ReceptionResult = {
      verdict: 'receipt',
      accept: true,
      delivered: [],
      failed: [],
      issued: [],
    };
    const service = this.serviceAddress();
    if (await this.isDuplicateReceipt(report)) {
      await this.deps.log.write({
        type: 'RECEIPT_DELIVERED',
        identificativo: report.daticert?.dati.identificativo ?? null,
        originalMessageId: report.riferimentoMessageId,
        sender,
        recipient: recipients.join(','),
        counterpartProvider: report.signature.provider,
        outcome: 'REFUSED',
        details: { kind: report.kind, duplicate: true },
      });
      return {
        ...result,
        failed: recipients.map((recipient) => ({ recipient, reason: 'duplicate receipt' })),
      };
    }
    // Counters and log rows go alongside the next store; all are awaited before we return.
    const records = new PendingWrites();
    let takenForFullBox = false;
    for (const recipient of recipients) {
      const mailbox = recipient === service ? null : await this.deps.mailboxes.find(recipient);
      if (recipient !== service && (!mailbox || !isUsable(mailbox, ctx.now))) {
        result.failed.push({ recipient, reason: 'no such active mailbox' });
        continue;
      }
      const stored = await this.store.store(recipient, raw);
      if (!stored.stored) {
        result.failed.push({ recipient, reason: stored.detail });
        // A full box (Dovecot's quota covers receipts too) loses the holder's copy, not the event:
        // the receipt is still taken, logged as not stored, and moves the message state below.
        if (stored.refusal !== 'over-quota') continue;
        takenForFullBox = true;
      } else {
        // The service mailbox is no user's box: no quota, no usage row to count against.
        if (recipient !== service) records.add(this.deps.mailboxes.recordDelivery?.(recipient, raw.length));
        result.delivered.push(recipient);
      }
      const received: Partial<Record<string, TransmissionEvent['type']>> = {
        'presa-in-carico': 'PRESA_IN_CARICO_RECEIVED',
        'avvenuta-consegna': 'AVVENUTA_CONSEGNA_RECEIVED',
        'errore-consegna': 'MANCATA_CONSEGNA_RECEIVED',
      };
      records.add(
        this.deps.log.write({
          type: received[report.kind] ?? 'RECEIPT_DELIVERED',
          identificativo: report.daticert?.dati.identificativo ?? null,
          originalMessageId: report.riferimentoMessageId,
          sender,
          recipient,
          counterpartProvider: report.signature.provider,
          outcome: stored.stored ? 'OK' : 'ERROR',
          details: {
            kind: report.kind,
            consegna: report.daticert?.dati.consegna ?? null,
            ...(stored.stored ? {} : { notStored: stored.detail }),
          },
        }),
      );
    }
    if (result.delivered.length === 0 && !takenForFullBox) {
      await records.settled();
      return { ...result, accept: false, reason: '5.1.1 no such active mailbox' };
    }
    // The receipt is stored: its effect on the message state can go alongside the counters and log.
    records.add(this.matchReceipt(report));
    records.add(this.answerRilevazioneVirus(ctx, report));
    await records.settled();
    return result;
  }

  /** Kind, identificativo and recipients of a receipt about one of our bustas, else null. */
  private receiptSubject(report: InspectReport) {
    const d = report.daticert;
    const kind = report.kind;
    if (!d || (kind !== 'presa-in-carico' && kind !== 'avvenuta-consegna' && kind !== 'errore-consegna'))
      return null;
    const recipients =
      kind === 'presa-in-carico' ? (d.dati.ricezione ?? []) : d.dati.consegna ? [d.dati.consegna] : [];
    return { kind, identificativo: d.dati.identificativo, recipients, reason: d.dati.erroreEsteso };
  }

  private async isDuplicateReceipt(report: InspectReport): Promise<boolean> {
    const r = this.receiptSubject(report);
    return (
      !!r &&
      !!this.deps.state &&
      (await this.deps.state.isDuplicateReceipt(r.kind, r.identificativo, r.recipients))
    );
  }

  /** A receipt about a busta we sent moves that recipient's state (X-Riferimento, daticert). */
  private async matchReceipt(report: InspectReport): Promise<void> {
    const r = this.receiptSubject(report);
    if (!this.deps.state || !r) return;
    await this.deps.state.applyReceipt(
      r.kind,
      r.identificativo,
      r.recipients,
      new Date(),
      r.reason ?? undefined,
    );
  }

  private async receiveAnomalia(
    ctx: BuildContext,
    sender: string,
    recipients: string[],
    raw: Buffer,
    report: InspectReport,
  ): Promise<ReceptionResult> {
    const result: ReceptionResult = {
      verdict: 'anomalia',
      accept: true,
      delivered: [],
      failed: [],
      issued: [],
    };
    const reason =
      report.kind === 'non-pec'
        ? 'messaggio di posta ordinaria'
        : !report.signature.present
          ? 'firma assente'
          : !report.signature.intact
            ? 'firma non valida: il messaggio è stato alterato'
            : report.signature.trusted !== true
              ? 'certificato di firma non presente nell’indice dei gestori'
              : `formato non conforme (${report.problems[0] ?? 'daticert'})`;
    const targets: string[] = [];
    for (const recipient of recipients) {
      const mailbox = await this.deps.mailboxes.find(recipient);
      if (!mailbox || !isUsable(mailbox, ctx.now)) {
        result.failed.push({ recipient, reason: 'no such active mailbox' });
      } else if (report.kind === 'non-pec' && mailbox.ordinaryMail === 'refuse') {
        result.failed.push({ recipient, reason: 'mailbox refuses ordinary mail' });
      } else targets.push(recipient);
    }
    if (targets.length === 0) {
      return { ...result, accept: false, reason: result.failed[0]?.reason ?? 'no recipient' };
    }
    const anomalia = await buildBustaAnomalia({ ctx, received: raw, sender, recipients: targets, reason });
    const data = Buffer.concat(anomalia.chunks, anomalia.size);
    for (const recipient of targets) {
      // The DP delivers the wrapper with no receipt (spec §2.4); quota still applies.
      const mailbox = (await this.deps.mailboxes.find(recipient))!;
      const stored = await this.store.store(recipient, data, {
        quotaBytes: mailbox.quotaBytes,
        usedBytes: mailbox.usedBytes,
      });
      if (!stored.stored) {
        result.failed.push({
          recipient,
          reason: stored.refusal === 'over-quota' ? 'mailbox full' : stored.detail,
        });
        continue;
      }
      await this.deps.mailboxes.recordDelivery?.(recipient, data.length);
      result.delivered.push(recipient);
      await this.deps.log.write({
        type: 'ANOMALIA',
        identificativo: report.daticert?.dati.identificativo ?? null,
        originalMessageId: report.messageId,
        sender,
        recipient,
        counterpartProvider: report.signature.provider,
        outcome: 'OK',
        details: { reason, problems: report.problems.slice(0, 5), messageId: anomalia.messageId },
      });
    }
    result.issued.push(anomalia.kind);
    return result;
  }
}
