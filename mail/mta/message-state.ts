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
    const originalPath = path.join(
      this.options.archiveDir,
      `${s.identificativo.replace(/[^A-Za-z0-9._@-]/g, '_')}.eml`,
    );
    writeFileSync(originalPath, s.original, { mode: 0o600 });
    const at = s.acceptedAt.getTime();
    const certified = s.recipients.map((r) => r.tipo === 'certificato');
    const preavvisoDueAt = new Date(at + this.options.preavvisoSeconds * 1000);
    const mancataConsegnaDueAt = new Date(at + this.options.mancataConsegnaSeconds * 1000);
    // Message and recipients in one statement (atomic, one round trip); timers only for certified ones.
    await this.prisma.$executeRaw`
      WITH message AS (
        INSERT INTO pec_messages (id, identificativo, original_message_id, direction, kind, state, sender, subject,
                                  receipt_type, size_bytes, sender_mailbox_id, spool_path, created_at, updated_at)
        SELECT gen_random_uuid(), ${s.identificativo}, ${s.originalMessageId}, 'OUTBOUND', 'POSTA_CERTIFICATA', 'ACCEPTED',
               ${s.sender.toLowerCase()}, ${s.subject}, ${receiptTypeColumn[s.receiptType]}::"ReceiptType", ${s.sizeBytes},
               (SELECT id FROM mailboxes WHERE address = ${s.sender.toLowerCase()}), ${originalPath}, now(), now()
        RETURNING id
      )
      INSERT INTO pec_recipients (id, message_id, recipient, certified, is_cc, state, preavviso_due_at,
                                  mancata_consegna_due_at, created_at, updated_at)
      SELECT gen_random_uuid(), message.id, r.recipient, r.certified, r.is_cc, 'ACCEPTED',
             CASE WHEN r.certified THEN ${preavvisoDueAt}::timestamptz END,
             CASE WHEN r.certified THEN ${mancataConsegnaDueAt}::timestamptz END, now(), now()
      FROM message,
           unnest(${s.recipients.map((r) => r.address.toLowerCase())}::text[], ${certified}::boolean[],
                  ${s.recipients.map((r) => r.field === 'cc')}::boolean[]) AS r(recipient, certified, is_cc)`;
  }

  async markRelayed(identificativo: string, recipients: string[], at = new Date()): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE pec_recipients r SET state = 'RELAYED', relayed_at = ${at}, updated_at = now()
      FROM pec_messages m
      WHERE m.id = r.message_id AND m.identificativo = ${identificativo} AND m.direction = 'OUTBOUND'
        AND r.recipient = ANY(${recipients.map((x) => x.toLowerCase())}::text[]) AND r.state = 'ACCEPTED'`;
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
    const addresses = recipients.map((r) => r.toLowerCase());
    const settles = kind !== 'presa-in-carico';
    // One statement per receipt: the recipients' UPDATE, guarded by the states it may move from (a
    // duplicate changes nothing), and the message's completion when no other certified recipient is
    // still open. That check reads the statement's snapshot: a receipt for another recipient of the
    // same message committed meanwhile is not in it, so when the message stays open a second,
    // fresh statement looks again (the later of two concurrent receipts always sees both).
    const moved = await this.prisma.$queryRaw<{ created_at: Date; completed: boolean }[]>`
      WITH moved AS (
        UPDATE pec_recipients r
        SET state = ${kind === 'presa-in-carico' ? 'TAKEN_IN_CHARGE' : kind === 'avvenuta-consegna' ? 'DELIVERED' : 'FAILED'}::"RecipientState",
            taken_in_charge_at = CASE WHEN ${kind === 'presa-in-carico'} THEN ${at}::timestamptz ELSE r.taken_in_charge_at END,
            delivered_at = CASE WHEN ${kind === 'avvenuta-consegna'} THEN ${at}::timestamptz ELSE r.delivered_at END,
            failed_at = CASE WHEN ${kind === 'errore-consegna'} THEN ${at}::timestamptz ELSE r.failed_at END,
            failure_reason = CASE WHEN ${kind === 'errore-consegna'} THEN ${reason ?? 'errore-consegna'} ELSE r.failure_reason END,
            updated_at = now()
        FROM pec_messages m
        WHERE m.id = r.message_id AND m.identificativo = ${identificativo} AND m.direction = 'OUTBOUND'
          AND r.recipient = ANY(${addresses}::text[])
          AND r.state = ANY(${settles ? ['ACCEPTED', 'RELAYED', 'TAKEN_IN_CHARGE'] : ['ACCEPTED', 'RELAYED']}::"RecipientState"[])
        RETURNING r.id, r.message_id, r.created_at
      ),
      completed AS (
        UPDATE pec_messages m SET state = 'COMPLETED', updated_at = now()
        WHERE ${settles} AND m.id IN (SELECT message_id FROM moved) AND m.state <> 'COMPLETED'
          AND NOT EXISTS (
            SELECT 1 FROM pec_recipients r
            WHERE r.message_id = m.id AND r.certified AND r.state NOT IN ('DELIVERED', 'FAILED')
              AND r.id NOT IN (SELECT id FROM moved)
          )
        RETURNING m.id
      )
      SELECT created_at, EXISTS (SELECT 1 FROM completed) AS completed FROM moved`;
    // the recipient row is written with the accettazione (recordSubmission)
    if (kind === 'avvenuta-consegna')
      for (const r of moved) this.options.onConsegna?.((at.getTime() - r.created_at.getTime()) / 1000);
    if (settles && moved.length > 0 && !moved[0].completed) await this.completeIfSettled(identificativo);
    return moved.length;
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
    const rows = await this.prisma.$queryRaw<
      { state: string; taken_in_charge_at: Date | null; mancata_consegna_sent_at: Date | null }[]
    >`
      SELECT r.state::text AS state, r.taken_in_charge_at, r.mancata_consegna_sent_at
      FROM pec_recipients r JOIN pec_messages m ON m.id = r.message_id
      WHERE m.identificativo = ${identificativo} AND m.direction = 'OUTBOUND'
        AND r.recipient = ANY(${recipients.map((r) => r.toLowerCase())}::text[])`;
    if (rows.length < recipients.length) return false;
    return rows.every((r) =>
      kind === 'presa-in-carico'
        ? r.taken_in_charge_at !== null
        : kind === 'avvenuta-consegna'
          ? r.state === 'DELIVERED'
          : r.state === 'FAILED' && r.mancata_consegna_sent_at === null,
    );
  }

  /** The message is complete once no certified recipient is still open. */
  private async completeIfSettled(identificativo: string): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE pec_messages m SET state = 'COMPLETED', updated_at = now()
      WHERE m.identificativo = ${identificativo} AND m.direction = 'OUTBOUND' AND m.state <> 'COMPLETED'
        AND NOT EXISTS (
          SELECT 1 FROM pec_recipients r
          WHERE r.message_id = m.id AND r.certified AND r.state NOT IN ('DELIVERED', 'FAILED')
        )`;
  }

  /** Timeouts due at `now` (spec §5.1): 12 h without presa in carico nor consegna, 24 h without consegna. */
  async dueTimeouts(now = new Date(), limit = 100): Promise<DueTimeout[]> {
    const rows = await this.prisma.pecRecipient.findMany({
      where: {
        certified: true,
        message: { direction: 'OUTBOUND' },
        OR: [
          { state: { in: ['ACCEPTED', 'RELAYED'] }, preavvisoDueAt: { lte: now }, preavvisoSentAt: null },
          {
            state: { in: ['ACCEPTED', 'RELAYED', 'TAKEN_IN_CHARGE'] },
            mancataConsegnaDueAt: { lte: now },
            mancataConsegnaSentAt: null,
          },
        ],
      },
      include: {
        message: { include: { recipients: { select: { recipient: true, certified: true, isCc: true } } } },
      },
      take: limit,
    });
    return rows.map((r) => ({
      recipientId: r.id,
      identificativo: r.message.identificativo,
      recipient: r.recipient,
      hours: r.mancataConsegnaDueAt && r.mancataConsegnaDueAt <= now ? 24 : 12,
      sender: r.message.sender,
      originalPath: r.message.spoolPath,
      recipients: r.message.recipients.map((x) => ({
        address: x.recipient,
        certified: x.certified,
        isCc: x.isCc,
      })),
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
      where: {
        id: t.recipientId,
        mancataConsegnaSentAt: null,
        state: { in: ['ACCEPTED', 'RELAYED', 'TAKEN_IN_CHARGE'] },
      },
      // A 12 h notice not sent by now is skipped: the final notice supersedes it.
      data: {
        mancataConsegnaSentAt: at,
        state: 'FAILED',
        failedAt: at,
        failureReason: 'superamento tempo massimo (24 h)',
        preavvisoSentAt: at,
      },
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
    // One statement: the message row (kept if it exists), the recipients already known (as the
    // statement's snapshot saw them, i.e. before this call), and the new ones inserted.
    const known = await this.prisma.$queryRaw<{ recipient: string; state: string }[]>`
      WITH message AS (
        INSERT INTO pec_messages (id, identificativo, original_message_id, direction, kind, state, sender, subject,
                                  size_bytes, counterpart_provider, created_at, updated_at)
        VALUES (gen_random_uuid(), ${input.identificativo}, ${input.originalMessageId}, 'INBOUND', 'POSTA_CERTIFICATA',
                'ACCEPTED', ${input.sender.toLowerCase()}, ${input.subject}, ${input.sizeBytes}, ${input.counterpartProvider}, now(), now())
        ON CONFLICT (identificativo, direction) DO UPDATE SET updated_at = pec_messages.updated_at
        RETURNING id
      ),
      known AS (
        SELECT r.recipient, r.state::text AS state FROM pec_recipients r, message WHERE r.message_id = message.id
      ),
      added AS (
        INSERT INTO pec_recipients (id, message_id, recipient, certified, state, created_at, updated_at)
        SELECT gen_random_uuid(), message.id, x.recipient, true, 'TAKEN_IN_CHARGE', now(), now()
        FROM message, unnest(${input.recipients}::text[]) AS x(recipient)
        WHERE x.recipient NOT IN (SELECT recipient FROM known)
        ON CONFLICT (message_id, recipient) DO NOTHING
      )
      SELECT recipient, state FROM known`;
    const states = new Map(known.map((r) => [r.recipient, r.state]));
    const newlyReceived = input.recipients.filter((r) => !states.has(r));
    const settled = new Set(
      [...states]
        .filter(([, state]) => state === 'DELIVERED' || state === 'FAILED')
        .map(([recipient]) => recipient),
    );
    return { newlyReceived, settled };
  }

  async settleInbound(
    identificativo: string,
    recipient: string,
    delivered: boolean,
    reason?: string,
  ): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE pec_recipients r
      SET state = ${delivered ? 'DELIVERED' : 'FAILED'}::"RecipientState",
          delivered_at = CASE WHEN ${delivered} THEN now() ELSE r.delivered_at END,
          failed_at = CASE WHEN ${delivered} THEN r.failed_at ELSE now() END,
          failure_reason = CASE WHEN ${delivered} THEN r.failure_reason ELSE ${reason ?? null} END,
          updated_at = now()
      FROM pec_messages m
      WHERE m.id = r.message_id AND m.identificativo = ${identificativo} AND m.direction = 'INBOUND' AND r.recipient = ${recipient}`;
  }
}
