/**
 * Per message and per recipient state in the database (pec_messages / pec_recipients):
 * OUTBOUND rows follow what our access point accepted (accepted → relayed → taken in charge →
 * delivered | failed) and carry the 12 h / 24 h deadlines, so timers survive restarts; INBOUND rows
 * record what our reception point already handled, so a busta retried by its sender (after a crash
 * on either side) earns no second delivery and no second consegna.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PrismaClient } from '@/lib/db/client';
import type { PecRecipient, TipoRicevuta } from '@/mail/pec';

export interface SubmissionRecord {
  identificativo: string;
  originalMessageId: string;
  sender: string;
  subject: string;
  receiptType: TipoRicevuta;
  sizeBytes: number;
  recipients: PecRecipient[];
  /** The original as submitted: kept until the timers are over, to restate it in notices. */
  original: Buffer;
  acceptedAt: Date;
}

export interface DueTimeout {
  recipientId: string;
  identificativo: string;
  recipient: string;
  hours: 12 | 24;
  sender: string;
  originalPath: string | null;
  recipients: { address: string; certified: boolean; isCc: boolean }[];
}

const receiptTypeColumn = { completa: 'COMPLETA', breve: 'BREVE', sintetica: 'SINTETICA' } as const;

export class MessageStateStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly options: {
      preavvisoSeconds: number;
      mancataConsegnaSeconds: number;
      archiveDir: string;
      /** per recipient whose consegna came back: seconds since its accettazione (for /metrics) */
      onConsegna?: (latencySeconds: number) => void;
    },
  ) {}

  /** Records an accepted submission; the timers run for certified recipients only (spec §2.7). */
  async recordSubmission(s: SubmissionRecord): Promise<void> {
    mkdirSync(this.options.archiveDir, { recursive: true, mode: 0o700 });
    const originalPath = path.join(this.options.archiveDir, `${s.identificativo.replace(/[^A-Za-z0-9._@-]/g, '_')}.eml`);
    writeFileSync(originalPath, s.original, { mode: 0o600 });
    const at = s.acceptedAt.getTime();
    const mailbox = await this.prisma.mailbox.findUnique({ where: { address: s.sender.toLowerCase() }, select: { id: true } });
    await this.prisma.pecMessage.create({
      data: {
        identificativo: s.identificativo,
        originalMessageId: s.originalMessageId,
        direction: 'OUTBOUND',
        kind: 'POSTA_CERTIFICATA',
        state: 'ACCEPTED',
        sender: s.sender.toLowerCase(),
        subject: s.subject,
        receiptType: receiptTypeColumn[s.receiptType],
        sizeBytes: BigInt(s.sizeBytes),
        senderMailboxId: mailbox?.id ?? null,
        spoolPath: originalPath,
        recipients: {
          create: s.recipients.map((r) => ({
            recipient: r.address.toLowerCase(),
            certified: r.tipo === 'certificato',
            isCc: r.field === 'cc',
            preavvisoDueAt: r.tipo === 'certificato' ? new Date(at + this.options.preavvisoSeconds * 1000) : null,
            mancataConsegnaDueAt: r.tipo === 'certificato' ? new Date(at + this.options.mancataConsegnaSeconds * 1000) : null,
          })),
        },
      },
    });
  }

  async markRelayed(identificativo: string, recipients: string[], at = new Date()): Promise<void> {
    await this.prisma.pecRecipient.updateMany({
      where: { message: { identificativo, direction: 'OUTBOUND' }, recipient: { in: recipients.map((r) => r.toLowerCase()) }, state: 'ACCEPTED' },
      data: { state: 'RELAYED', relayedAt: at },
    });
  }

  /**
   * Applies a receipt that came back from the recipient's provider. Returns how many recipient rows
   * changed (0: unknown message, or a duplicate receipt).
   */
  async applyReceipt(
    kind: 'presa-in-carico' | 'avvenuta-consegna' | 'errore-consegna',
    identificativo: string,
    recipients: string[],
    at = new Date(),
    reason?: string,
  ): Promise<number> {
    const where = { message: { identificativo, direction: 'OUTBOUND' as const }, recipient: { in: recipients.map((r) => r.toLowerCase()) } };
    let changed: number;
    if (kind === 'presa-in-carico') {
      changed = (
        await this.prisma.pecRecipient.updateMany({
          where: { ...where, state: { in: ['ACCEPTED', 'RELAYED'] } },
          data: { state: 'TAKEN_IN_CHARGE', takenInChargeAt: at },
        })
      ).count;
    } else if (kind === 'avvenuta-consegna') {
      const delivered = await this.prisma.pecRecipient.updateManyAndReturn({
        where: { ...where, state: { in: ['ACCEPTED', 'RELAYED', 'TAKEN_IN_CHARGE'] } },
        data: { state: 'DELIVERED', deliveredAt: at },
        select: { createdAt: true },
      });
      changed = delivered.length;
      // the recipient row is written with the accettazione (recordSubmission)
      for (const r of delivered) this.options.onConsegna?.((at.getTime() - r.createdAt.getTime()) / 1000);
    } else {
      changed = (
        await this.prisma.pecRecipient.updateMany({
          where: { ...where, state: { in: ['ACCEPTED', 'RELAYED', 'TAKEN_IN_CHARGE'] } },
          data: { state: 'FAILED', failedAt: at, failureReason: reason ?? 'errore-consegna' },
        })
      ).count;
    }
    if (changed > 0) await this.completeIfSettled(identificativo);
    return changed;
  }

  /**
   * Whether this receipt was already applied for every recipient it names: the sender provider
   * re-sent it (its spool retried after a crash) and the sender must not get it twice.
   */
  async isDuplicateReceipt(
    kind: 'presa-in-carico' | 'avvenuta-consegna' | 'errore-consegna',
    identificativo: string,
    recipients: string[],
  ): Promise<boolean> {
    if (recipients.length === 0) return false;
    const rows = await this.prisma.pecRecipient.findMany({
      where: { message: { identificativo, direction: 'OUTBOUND' }, recipient: { in: recipients.map((r) => r.toLowerCase()) } },
      select: { state: true, takenInChargeAt: true, mancataConsegnaSentAt: true },
    });
    if (rows.length < recipients.length) return false;
    return rows.every((r) =>
      kind === 'presa-in-carico'
        ? r.takenInChargeAt !== null
        : kind === 'avvenuta-consegna'
          ? r.state === 'DELIVERED'
          : r.state === 'FAILED' && r.mancataConsegnaSentAt === null,
    );
  }

  private async completeIfSettled(identificativo: string): Promise<void> {
    const open = await this.prisma.pecRecipient.count({
      where: { message: { identificativo, direction: 'OUTBOUND' }, certified: true, state: { notIn: ['DELIVERED', 'FAILED'] } },
    });
    if (open === 0) {
      await this.prisma.pecMessage.updateMany({ where: { identificativo, direction: 'OUTBOUND' }, data: { state: 'COMPLETED' } });
    }
  }

  /** Timeouts due at `now` (spec §5.1): 12 h without presa in carico nor consegna, 24 h without consegna. */
  async dueTimeouts(now = new Date(), limit = 100): Promise<DueTimeout[]> {
    const rows = await this.prisma.pecRecipient.findMany({
      where: {
        certified: true,
        message: { direction: 'OUTBOUND' },
        OR: [
          { state: { in: ['ACCEPTED', 'RELAYED'] }, preavvisoDueAt: { lte: now }, preavvisoSentAt: null },
          { state: { in: ['ACCEPTED', 'RELAYED', 'TAKEN_IN_CHARGE'] }, mancataConsegnaDueAt: { lte: now }, mancataConsegnaSentAt: null },
        ],
      },
      include: { message: { include: { recipients: { select: { recipient: true, certified: true, isCc: true } } } } },
      take: limit,
    });
    return rows.map((r) => ({
      recipientId: r.id,
      identificativo: r.message.identificativo,
      recipient: r.recipient,
      hours: r.mancataConsegnaDueAt && r.mancataConsegnaDueAt <= now ? 24 : 12,
      sender: r.message.sender,
      originalPath: r.message.spoolPath,
      recipients: r.message.recipients.map((x) => ({ address: x.recipient, certified: x.certified, isCc: x.isCc })),
    }));
  }

  /**
   * Claims a timeout notice atomically: true for exactly one caller. The 24 h notice ends the
   * transaction for that recipient (FAILED); a late consegna then changes nothing.
   */
  async claimTimeout(t: DueTimeout, at = new Date()): Promise<boolean> {
    if (t.hours === 12) {
      const r = await this.prisma.pecRecipient.updateMany({
        where: { id: t.recipientId, preavvisoSentAt: null, state: { in: ['ACCEPTED', 'RELAYED'] } },
        data: { preavvisoSentAt: at },
      });
      return r.count === 1;
    }
    const r = await this.prisma.pecRecipient.updateMany({
      where: { id: t.recipientId, mancataConsegnaSentAt: null, state: { in: ['ACCEPTED', 'RELAYED', 'TAKEN_IN_CHARGE'] } },
      // A 12 h notice not sent by now is skipped: the final notice supersedes it.
      data: { mancataConsegnaSentAt: at, state: 'FAILED', failedAt: at, failureReason: 'superamento tempo massimo (24 h)', preavvisoSentAt: at },
    });
    if (r.count === 1) await this.completeIfSettled(t.identificativo);
    return r.count === 1;
  }

  /**
   * Reception side: records a busta received for local recipients and returns, per recipient,
   * whether it was already handled (a retry of a busta we had stored before a crash).
   */
  async beginInbound(input: {
    identificativo: string;
    originalMessageId: string;
    sender: string;
    subject: string;
    counterpartProvider: string | null;
    sizeBytes: number;
    recipients: string[];
  }): Promise<{ newlyReceived: string[]; settled: Set<string> }> {
    const message = await this.prisma.pecMessage.upsert({
      where: { identificativo_direction: { identificativo: input.identificativo, direction: 'INBOUND' } },
      create: {
        identificativo: input.identificativo,
        originalMessageId: input.originalMessageId,
        direction: 'INBOUND',
        kind: 'POSTA_CERTIFICATA',
        state: 'ACCEPTED',
        sender: input.sender.toLowerCase(),
        subject: input.subject,
        sizeBytes: BigInt(input.sizeBytes),
        counterpartProvider: input.counterpartProvider,
      },
      update: {},
      include: { recipients: true },
    });
    const known = new Map(message.recipients.map((r) => [r.recipient, r.state]));
    const newlyReceived = input.recipients.filter((r) => !known.has(r));
    if (newlyReceived.length) {
      await this.prisma.pecRecipient.createMany({
        data: newlyReceived.map((recipient) => ({ messageId: message.id, recipient, certified: true, state: 'TAKEN_IN_CHARGE' as const })),
        skipDuplicates: true,
      });
    }
    const settled = new Set(
      [...known].filter(([, state]) => state === 'DELIVERED' || state === 'FAILED').map(([recipient]) => recipient),
    );
    return { newlyReceived, settled };
  }

  async settleInbound(identificativo: string, recipient: string, delivered: boolean, reason?: string): Promise<void> {
    const at = new Date();
    await this.prisma.pecRecipient.updateMany({
      where: { message: { identificativo, direction: 'INBOUND' }, recipient },
      data: delivered ? { state: 'DELIVERED', deliveredAt: at } : { state: 'FAILED', failedAt: at, failureReason: reason ?? null },
    });
  }
}
