/**
 * Per message and per recipient state in the database (pec_messages / pec_recipients):
 * OUTBOUND rows follow what our access point accepted (accepted → relayed → taken in charge →
 * delivered | failed) and carry the 12 h / 24 h deadlines, so timers survive restarts; INBOUND rows
 * record what our reception point already handled, so a busta retried by its sender (after a crash
 * on either side) earns no second delivery and no second consegna.
 */
import { randomUUID } from 'node:crypto';
import { promises as fs, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PrismaClient } from '@/lib/db/client';
import { rowsOf, sql, sqlClientOf, type SqlClient } from '@/lib/db/sql';
import type { PecRecipient, TipoRicevuta } from '@/mail/pec';
import { syncWriteMaxBytes } from './file-io';
import { NaturalBatch } from './natural-batch';

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

/** Start of failure_reason when a relay failure (mail/mta/relay-failure.ts) settled the recipient. */
export const relayFailureMark = 'mancato inoltro: ';

/** What a relay failure's notice restates about the message (claimRelayFailure). */
export interface RelayFailureClaim {
  sender: string;
  originalPath: string | null;
  acceptedAt: Date;
  certified: boolean;
  recipients: { address: string; certified: boolean; isCc: boolean }[];
}

const receiptTypeColumn = { completa: 'COMPLETA', breve: 'BREVE', sintetica: 'SINTETICA' } as const;

interface Relayed {
  identificativo: string;
  recipients: string[];
  at: Date;
}

type ArchivedSubmission = SubmissionRecord & { originalPath: string };

type ReceiptKind = 'presa-in-carico' | 'avvenuta-consegna' | 'errore-consegna';

interface ReceiptCheck {
  kind: ReceiptKind;
  identificativo: string;
  recipients: string[];
}

interface ReceiptUpdate extends ReceiptCheck {
  at: Date;
  reason: string | null;
}

interface MovedRecipient {
  created_at: Date;
  /** the receipt completed its message */
  completed: boolean;
}

interface InboundSettlement {
  identificativo: string;
  recipient: string;
  delivered: boolean;
  reason: string | null;
}

/**
 * A message's archived original for the notices that restate it (timers, relay failures), or null
 * when it cannot be read (pruned, lost with a disk): the notice's claim is already taken, so an
 * unreadable archive must not cost the notice; the caller then names the transaction only.
 */
export function readArchivedOriginal(file: string | null): Promise<Buffer | null> {
  return file ? fs.readFile(file).catch(() => null) : Promise.resolve(null);
}

/** What a notice restates when the archived original cannot be read: it names the transaction. */
export function originalStandIn(identificativo: string): Buffer {
  return Buffer.from(`Message-ID: <${identificativo}>\r\n\r\n`);
}

/** A message's recipient rows (dueTimeouts, claimRelayFailure) as the PEC builders take them. */
export function pecRecipientsOf(
  rows: { address: string; certified: boolean; isCc: boolean }[],
): PecRecipient[] {
  return rows.map((r) => ({
    address: r.address,
    tipo: r.certified ? 'certificato' : 'esterno',
    field: r.isCc ? 'cc' : 'to',
  }));
}

/**
 * How long a claim on an inbound recipient keeps another node's attempt at the same busta waiting:
 * longer than any reception transaction (virus scan, LMTP delivery of 30 MB), short enough that a
 * node lost for good delays its bustas' retries by minutes, not hours.
 */
export const inboundClaimLeaseMs = 10 * 60_000;

/**
 * Another reception transaction is delivering some recipient of this busta right now (its sender
 * retried while the first attempt runs): nothing was done, the sender tries again later (4xx).
 * `code` rather than instanceof: each Haraka plugin bundle has its own copy of this class.
 */
export class InboundBusyError extends Error {
  readonly code = 'INBOUND_BUSY';
  constructor(identificativo: string, recipients: string[]) {
    super(`busta ${identificativo}: ${recipients.join(', ')} being delivered by another transaction, try again later`);
  }
}

/** How long an archived original outlives its message at least: twice the spool's default 24 h life. */
export const archivedOriginalKeepMs = 48 * 3600_000;

export class MessageStateStore {
  private readonly db: SqlClient;
  /** This MTA node, in inbound claims. */
  private readonly node: string;
  /** This process: a claim of this node under another process is a crashed run's. */
  private readonly processId = randomUUID();
  /** the archive folder, created once */
  private archiveReady: Promise<unknown> | undefined;
  // Statements of one kind issued while the previous one is in flight go together as the next
  // (natural-batch.ts): submissions, bustas relayed, inbound settlements, receipts and their checks.
  private readonly submissions = new NaturalBatch<ArchivedSubmission, void>((items) =>
    this.recordSubmissionBatch(items),
  );
  private readonly relayed = new NaturalBatch<Relayed, void>((items) => this.markRelayedBatch(items));
  private readonly settled = new NaturalBatch<InboundSettlement, void>((items) =>
    this.settleInboundBatch(items),
  );
  private readonly receipts = new NaturalBatch<ReceiptUpdate, MovedRecipient[]>((items) =>
    this.applyReceiptBatch(items),
  );
  private readonly receiptChecks = new NaturalBatch<ReceiptCheck, boolean>((items) =>
    this.isDuplicateReceiptBatch(items),
  );

  constructor(
    db: SqlClient | PrismaClient,
    private readonly options: {
      preavvisoSeconds: number;
      mancataConsegnaSeconds: number;
      archiveDir: string;
      /** archived originals are kept at least this long (default archivedOriginalKeepMs) */
      keepOriginalsMs?: number;
      /** per recipient whose consegna came back: seconds since its accettazione (for /metrics) */
      onConsegna?: (latencySeconds: number) => void;
      /**
       * This MTA node, the same across its restarts (e.g. host and spool folder): a claim its previous
       * process left is taken over at once. Default: one node.
       */
      node?: string;
      /** How long another node's claim on an inbound recipient holds (default inboundClaimLeaseMs). */
      inboundClaimLeaseMs?: number;
    },
  ) {
    this.db = sqlClientOf(db);
    this.node = (options.node ?? 'mta').replace(/\s+/g, '_');
  }

  /** Records an accepted submission; the timers run for certified recipients only (spec §2.7). */
  async recordSubmission(s: SubmissionRecord): Promise<void> {
    const originalPath = path.join(
      this.options.archiveDir,
      `${s.identificativo.replace(/[^A-Za-z0-9._@-]/g, '_')}.eml`,
    );
    // the file first: the row points to it (the folder is made once, and again if it went away). A
    // small one is written synchronously (file-io.ts says why), a large one off the event loop.
    const write = async () => {
      if (s.original.length <= syncWriteMaxBytes) writeFileSync(originalPath, s.original, { mode: 0o600 });
      else await fs.writeFile(originalPath, s.original, { mode: 0o600 });
    };
    await this.archiveFolder();
    await write().catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      this.archiveReady = undefined;
      await this.archiveFolder();
      await write();
    });
    await this.submissions.submit({ ...s, originalPath });
  }

  /**
   * Submissions accepted together: messages and recipients in one statement (atomic, one round
   * trip); timers only for certified recipients. Should the batch fail, NaturalBatch runs each
   * again on its own, so one bad submission does not refuse its neighbours.
   */
  private async recordSubmissionBatch(batch: ArchivedSubmission[]): Promise<void[]> {
    const due = (s: ArchivedSubmission, seconds: number) =>
      new Date(s.acceptedAt.getTime() + seconds * 1000).toISOString();
    const recipients = batch.flatMap((s) =>
      s.recipients.map((r) => ({
        identificativo: s.identificativo,
        address: r.address.toLowerCase(),
        certified: r.tipo === 'certificato',
        cc: r.field === 'cc',
        preavvisoDueAt: due(s, this.options.preavvisoSeconds),
        mancataConsegnaDueAt: due(s, this.options.mancataConsegnaSeconds),
      })),
    );
    await this.db.query(sql`
      WITH s AS (
        SELECT * FROM unnest(${batch.map((s) => s.identificativo)}::text[], ${batch.map((s) => s.originalMessageId)}::text[],
                             ${batch.map((s) => s.sender.toLowerCase())}::text[], ${batch.map((s) => s.subject)}::text[],
                             ${batch.map((s) => receiptTypeColumn[s.receiptType])}::"ReceiptType"[],
                             ${batch.map((s) => s.sizeBytes)}::bigint[], ${batch.map((s) => s.originalPath)}::text[])
          AS s(identificativo, original_message_id, sender, subject, receipt_type, size_bytes, spool_path)
      ),
      message AS (
        INSERT INTO pec_messages (id, identificativo, original_message_id, direction, kind, state, sender, subject,
                                  receipt_type, size_bytes, sender_mailbox_id, spool_path, created_at, updated_at)
        SELECT gen_random_uuid(), s.identificativo, s.original_message_id, 'OUTBOUND', 'POSTA_CERTIFICATA', 'ACCEPTED',
               s.sender, s.subject, s.receipt_type, s.size_bytes,
               (SELECT id FROM mailboxes WHERE address = s.sender), s.spool_path, now(), now()
        FROM s
        RETURNING id, identificativo
      )
      INSERT INTO pec_recipients (id, message_id, recipient, certified, is_cc, state, preavviso_due_at,
                                  mancata_consegna_due_at, created_at, updated_at)
      SELECT gen_random_uuid(), message.id, r.recipient, r.certified, r.is_cc, 'ACCEPTED',
             CASE WHEN r.certified THEN r.preavviso_due_at END,
             CASE WHEN r.certified THEN r.mancata_consegna_due_at END, now(), now()
      FROM unnest(${recipients.map((r) => r.identificativo)}::text[], ${recipients.map((r) => r.address)}::text[],
                  ${recipients.map((r) => r.certified)}::boolean[], ${recipients.map((r) => r.cc)}::boolean[],
                  ${recipients.map((r) => r.preavvisoDueAt)}::timestamptz[],
                  ${recipients.map((r) => r.mancataConsegnaDueAt)}::timestamptz[])
             AS r(identificativo, recipient, certified, is_cc, preavviso_due_at, mancata_consegna_due_at)
      JOIN message ON message.identificativo = r.identificativo`);
    return batch.map(() => undefined);
  }

  /**
   * Deletes the archived originals (recordSubmission) that no notice can need any more: the message
   * is older than `keepMs` (beyond the spool's 24 h life and the 24 h timer) and none of its
   * certified recipients is still open. Only files in this node's archive folder: another node's are
   * its own to delete. Without this the folder grew by one file per message, for ever. Returns how
   * many went.
   */
  async pruneArchivedOriginals(
    now = new Date(),
    keepMs = this.options.keepOriginalsMs ?? archivedOriginalKeepMs,
    limit = 500,
  ): Promise<number> {
    const rows = await rowsOf<{ id: string; spool_path: string }>(
      this.db,
      sql`
      SELECT m.id::text AS id, m.spool_path FROM pec_messages m
      WHERE m.spool_path IS NOT NULL AND m.created_at < ${new Date(now.getTime() - keepMs)}::timestamptz
        AND m.direction = 'OUTBOUND' AND starts_with(m.spool_path, ${this.options.archiveDir + path.sep})
        AND NOT EXISTS (
          SELECT 1 FROM pec_recipients r
          WHERE r.message_id = m.id AND r.certified AND r.state IN ('ACCEPTED', 'RELAYED', 'TAKEN_IN_CHARGE')
        )
      ORDER BY m.created_at
      LIMIT ${limit}::integer`,
    );
    for (const r of rows)
      await fs.unlink(r.spool_path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    if (rows.length > 0)
      await this.db.query(
        sql`UPDATE pec_messages SET spool_path = NULL WHERE id = ANY(${rows.map((r) => r.id)}::uuid[])`,
      );
    return rows.length;
  }

  private archiveFolder(): Promise<unknown> {
    this.archiveReady ??= fs.mkdir(this.options.archiveDir, { recursive: true, mode: 0o700 }).catch((err) => {
      this.archiveReady = undefined;
      throw err;
    });
    return this.archiveReady;
  }

  markRelayed(identificativo: string, recipients: string[], at = new Date()): Promise<void> {
    return this.relayed.submit({ identificativo, recipients, at });
  }

  private async markRelayedBatch(items: Relayed[]): Promise<void[]> {
    const pairs = items.flatMap((i) =>
      i.recipients.map((r) => [i.identificativo, r.toLowerCase(), i.at.toISOString()] as const),
    );
    await this.db.query(sql`
      UPDATE pec_recipients r SET state = 'RELAYED', relayed_at = x.at, updated_at = now()
      FROM pec_messages m,
           unnest(${pairs.map((p) => p[0])}::text[], ${pairs.map((p) => p[1])}::text[],
                  ${pairs.map((p) => p[2])}::timestamptz[]) AS x(identificativo, recipient, at)
      WHERE m.id = r.message_id AND m.identificativo = x.identificativo AND m.direction = 'OUTBOUND'
        AND r.recipient = x.recipient AND r.state = 'ACCEPTED'`);
    return items.map(() => undefined);
  }

  /**
   * Applies a receipt that came back from the recipient's provider. Returns how many recipient rows
   * changed (0: unknown message, or a duplicate receipt).
   */
  async applyReceipt(
    kind: ReceiptKind,
    identificativo: string,
    recipients: string[],
    at = new Date(),
    reason?: string,
  ): Promise<number> {
    const moved = await this.receipts.submit({
      kind,
      identificativo,
      recipients,
      at,
      reason: reason ?? null,
    });
    // the recipient row is written with the accettazione (recordSubmission)
    if (kind === 'avvenuta-consegna')
      for (const r of moved) this.options.onConsegna?.((at.getTime() - r.created_at.getTime()) / 1000);
    // The completion check reads its statement's snapshot: a receipt for another recipient of the
    // same message committed meanwhile (another MTA node, a timeout) is not in it, so when the
    // message stays open a second, fresh statement looks again (the later of two concurrent
    // receipts always sees both).
    if (kind !== 'presa-in-carico' && moved.length > 0 && !moved[0].completed)
      await this.completeIfSettled(identificativo);
    return moved.length;
  }

  /**
   * Receipts arriving together, in as few statements as a recipient row allows: a row named by two
   * receipts of the batch (presa in carico and consegna) is moved by the first, then the next
   * statement moves it again from where the first left it.
   */
  private async applyReceiptBatch(receipts: ReceiptUpdate[]): Promise<MovedRecipient[][]> {
    const results: MovedRecipient[][] = receipts.map(() => []);
    let todo = receipts.map((receipt, n) => ({ receipt, n }));
    while (todo.length > 0) {
      const seen = new Set<string>();
      const now: typeof todo = [];
      const later: typeof todo = [];
      for (const t of todo) {
        const keys = t.receipt.recipients.map((r) => `${t.receipt.identificativo} ${r.toLowerCase()}`);
        if (keys.some((k) => seen.has(k))) later.push(t);
        else {
          keys.forEach((k) => seen.add(k));
          now.push(t);
        }
      }
      for (const row of await this.applyReceiptStatement(now)) results[row.n].push(row);
      todo = later;
    }
    return results;
  }

  /**
   * One statement: the recipients' UPDATE, guarded by the states each receipt may move them from (a
   * duplicate changes nothing), and the completion of every message whose last open certified
   * recipient settles here.
   */
  private async applyReceiptStatement(items: { receipt: ReceiptUpdate; n: number }[]) {
    const rows = items.flatMap(({ receipt: r, n }) =>
      [...new Set(r.recipients.map((x) => x.toLowerCase()))].map((recipient) => ({ ...r, recipient, n })),
    );
    const column = <T>(f: (r: (typeof rows)[number]) => T) => rows.map(f);
    return rowsOf<MovedRecipient & { n: number }>(
      this.db,
      sql`
      WITH x AS (
        SELECT * FROM unnest(${column((r) => r.identificativo)}::text[], ${column((r) => r.recipient)}::text[],
                             ${column((r) => r.kind)}::text[], ${column((r) => r.at.toISOString())}::timestamptz[],
                             ${column((r) => r.reason ?? 'errore-consegna')}::text[], ${column((r) => r.n)}::integer[])
          AS x(identificativo, recipient, kind, at, reason, n)
      ),
      moved AS (
        UPDATE pec_recipients r
        SET state = CASE x.kind WHEN 'presa-in-carico' THEN 'TAKEN_IN_CHARGE'
                                WHEN 'avvenuta-consegna' THEN 'DELIVERED' ELSE 'FAILED' END::"RecipientState",
            taken_in_charge_at = CASE WHEN x.kind = 'presa-in-carico' THEN x.at ELSE r.taken_in_charge_at END,
            delivered_at = CASE WHEN x.kind = 'avvenuta-consegna' THEN x.at ELSE r.delivered_at END,
            failed_at = CASE WHEN x.kind = 'errore-consegna' THEN x.at ELSE r.failed_at END,
            failure_reason = CASE WHEN x.kind = 'errore-consegna' THEN x.reason ELSE r.failure_reason END,
            updated_at = now()
        FROM pec_messages m, x
        WHERE m.id = r.message_id AND m.identificativo = x.identificativo AND m.direction = 'OUTBOUND'
          AND r.recipient = x.recipient
          AND (r.state IN ('ACCEPTED', 'RELAYED') OR (r.state = 'TAKEN_IN_CHARGE' AND x.kind <> 'presa-in-carico'))
        RETURNING r.id, r.message_id, r.created_at, x.n, x.kind <> 'presa-in-carico' AS settles
      ),
      completed AS (
        UPDATE pec_messages m SET state = 'COMPLETED', updated_at = now()
        WHERE m.id IN (SELECT message_id FROM moved WHERE settles) AND m.state <> 'COMPLETED'
          AND NOT EXISTS (
            SELECT 1 FROM pec_recipients r
            WHERE r.message_id = m.id AND r.certified AND r.state NOT IN ('DELIVERED', 'FAILED')
              AND r.id NOT IN (SELECT id FROM moved WHERE settles)
          )
        RETURNING m.id
      )
      SELECT n, created_at, message_id IN (SELECT id FROM completed) AS completed FROM moved`,
    );
  }

  /**
   * Whether this receipt was already applied for every recipient it names: the sender provider
   * re-sent it (its spool retried after a crash) and the sender must not get it twice.
   */
  isDuplicateReceipt(kind: ReceiptKind, identificativo: string, recipients: string[]): Promise<boolean> {
    if (recipients.length === 0) return Promise.resolve(false);
    return this.receiptChecks.submit({ kind, identificativo, recipients });
  }

  private async isDuplicateReceiptBatch(checks: ReceiptCheck[]): Promise<boolean[]> {
    const asked = checks.map((c) => [...new Set(c.recipients.map((r) => r.toLowerCase()))]);
    const pairs = asked.flatMap((recipients, n) =>
      recipients.map((r) => [checks[n].identificativo, r, n] as const),
    );
    const rows = await rowsOf<{
      n: number;
      state: string;
      taken_in_charge_at: Date | null;
      mancata_consegna_sent_at: Date | null;
    }>(
      this.db,
      sql`
      SELECT x.n, r.state::text AS state, r.taken_in_charge_at, r.mancata_consegna_sent_at
      FROM unnest(${pairs.map((p) => p[0])}::text[], ${pairs.map((p) => p[1])}::text[], ${pairs.map((p) => p[2])}::integer[])
             AS x(identificativo, recipient, n)
      JOIN pec_messages m ON m.identificativo = x.identificativo AND m.direction = 'OUTBOUND'
      JOIN pec_recipients r ON r.message_id = m.id AND r.recipient = x.recipient`,
    );
    return checks.map(({ kind }, n) => {
      const found = rows.filter((r) => r.n === n);
      return (
        found.length === asked[n].length &&
        found.every((r) =>
          kind === 'presa-in-carico'
            ? r.taken_in_charge_at !== null
            : kind === 'avvenuta-consegna'
              ? r.state === 'DELIVERED'
              : r.state === 'FAILED' && r.mancata_consegna_sent_at === null,
        )
      );
    });
  }

  /** The message is complete once no certified recipient is still open. */
  private async completeIfSettled(identificativo: string): Promise<void> {
    await this.db.query(sql`
      UPDATE pec_messages m SET state = 'COMPLETED', updated_at = now()
      WHERE m.identificativo = ${identificativo} AND m.direction = 'OUTBOUND' AND m.state <> 'COMPLETED'
        AND NOT EXISTS (
          SELECT 1 FROM pec_recipients r
          WHERE r.message_id = m.id AND r.certified AND r.state NOT IN ('DELIVERED', 'FAILED')
        )`);
  }

  /** Timeouts due at `now` (spec §5.1): 12 h without presa in carico nor consegna, 24 h without consegna. */
  async dueTimeouts(now = new Date(), limit = 100): Promise<DueTimeout[]> {
    const rows = await rowsOf<{
      id: string;
      identificativo: string;
      recipient: string;
      final: boolean;
      sender: string;
      spool_path: string | null;
      recipients: DueTimeout['recipients'];
    }>(
      this.db,
      sql`
      SELECT r.id::text AS id, m.identificativo, r.recipient, m.sender, m.spool_path,
             coalesce(r.mancata_consegna_due_at <= ${now}::timestamptz, false) AS final,
             (SELECT json_agg(json_build_object('address', x.recipient, 'certified', x.certified, 'isCc', x.is_cc))
              FROM pec_recipients x WHERE x.message_id = m.id) AS recipients
      FROM pec_recipients r JOIN pec_messages m ON m.id = r.message_id
      WHERE r.certified AND m.direction = 'OUTBOUND'
        AND ((r.state IN ('ACCEPTED', 'RELAYED') AND r.preavviso_due_at <= ${now}::timestamptz AND r.preavviso_sent_at IS NULL)
          OR (r.state IN ('ACCEPTED', 'RELAYED', 'TAKEN_IN_CHARGE') AND r.mancata_consegna_due_at <= ${now}::timestamptz
              AND r.mancata_consegna_sent_at IS NULL))
      LIMIT ${limit}::integer`,
    );
    return rows.map((r) => ({
      recipientId: r.id,
      identificativo: r.identificativo,
      recipient: r.recipient,
      hours: r.final ? 24 : 12,
      sender: r.sender,
      originalPath: r.spool_path,
      recipients: r.recipients,
    }));
  }

  /**
   * Claims a timeout notice atomically: true for exactly one caller. The 24 h notice ends the
   * transaction for that recipient (FAILED); a late consegna then changes nothing.
   */
  async claimTimeout(t: DueTimeout, at = new Date()): Promise<boolean> {
    if (t.hours === 12) {
      const claimed = await rowsOf(
        this.db,
        sql`
        UPDATE pec_recipients SET preavviso_sent_at = ${at}::timestamptz, updated_at = now()
        WHERE id = ${t.recipientId}::uuid AND preavviso_sent_at IS NULL AND state IN ('ACCEPTED', 'RELAYED')
        RETURNING id`,
      );
      return claimed.length === 1;
    }
    // A 12 h notice not sent by now is skipped: the final notice supersedes it.
    const claimed = await rowsOf(
      this.db,
      sql`
      UPDATE pec_recipients
      SET mancata_consegna_sent_at = ${at}::timestamptz, state = 'FAILED', failed_at = ${at}::timestamptz,
          failure_reason = 'superamento tempo massimo (24 h)', preavviso_sent_at = ${at}::timestamptz, updated_at = now()
      WHERE id = ${t.recipientId}::uuid AND mancata_consegna_sent_at IS NULL
        AND state IN ('ACCEPTED', 'RELAYED', 'TAKEN_IN_CHARGE')
      RETURNING id`,
    );
    if (claimed.length === 1) await this.completeIfSettled(t.identificativo);
    return claimed.length === 1;
  }

  /**
   * Reception side: records a busta received for local recipients and claims the ones still to be
   * delivered for this attempt. Returns the recipients received for the first time, those already
   * settled (a retry of a busta handled before), and the claim to release should the attempt fail.
   * Throws InboundBusyError, claiming nothing, when another attempt holds one of them: the same
   * busta retried by its sender while a first attempt still runs, here or on another node, must not
   * be delivered twice. A claim left by a crashed process of this node is taken over at once; one of
   * another node after `inboundClaimLeaseMs`.
   */
  async beginInbound(input: {
    identificativo: string;
    originalMessageId: string;
    sender: string;
    subject: string;
    counterpartProvider: string | null;
    sizeBytes: number;
    recipients: string[];
  }): Promise<{ newlyReceived: string[]; settled: Set<string>; claim: string }> {
    const claim = `${this.node} ${this.processId} ${randomUUID()}`;
    const leaseMs = this.options.inboundClaimLeaseMs ?? inboundClaimLeaseMs;
    // One statement: the message row (kept if it exists); the recipients already known (as the
    // statement's snapshot saw them, i.e. before this call); the new ones inserted under our claim;
    // the known unsettled ones claimed when free. A row another attempt is inserting or claiming at
    // this moment is in none of them (the insert conflicts; the update waits for the other to
    // commit, then finds the row claimed), so it counts as busy.
    const rows = await rowsOf<{ recipient: string; state: string | null; claimed: boolean }>(
      this.db,
      sql`
      WITH message AS (
        INSERT INTO pec_messages (id, identificativo, original_message_id, direction, kind, state, sender, subject,
                                  size_bytes, counterpart_provider, created_at, updated_at)
        VALUES (gen_random_uuid(), ${input.identificativo}, ${input.originalMessageId}, 'INBOUND', 'POSTA_CERTIFICATA',
                'ACCEPTED', ${input.sender.toLowerCase()}, ${input.subject}, ${input.sizeBytes}::bigint, ${input.counterpartProvider}::text, now(), now())
        ON CONFLICT (identificativo, direction) DO UPDATE SET updated_at = pec_messages.updated_at
        RETURNING id
      ),
      known AS (
        SELECT r.recipient, r.state::text AS state FROM pec_recipients r, message WHERE r.message_id = message.id
      ),
      added AS (
        INSERT INTO pec_recipients (id, message_id, recipient, certified, state, claim, claimed_at, created_at, updated_at)
        SELECT gen_random_uuid(), message.id, x.recipient, true, 'TAKEN_IN_CHARGE', ${claim}::text, now(), now(), now()
        FROM message, unnest(${input.recipients}::text[]) AS x(recipient)
        WHERE x.recipient NOT IN (SELECT recipient FROM known)
        ON CONFLICT (message_id, recipient) DO NOTHING
        RETURNING recipient
      ),
      claimed AS (
        UPDATE pec_recipients r SET claim = ${claim}::text, claimed_at = now()
        FROM message
        WHERE r.message_id = message.id AND r.recipient = ANY(${input.recipients}::text[])
          AND r.state NOT IN ('DELIVERED', 'FAILED')
          AND (r.claim IS NULL OR r.claimed_at < now() - make_interval(secs => ${leaseMs / 1000}::float8)
               OR (split_part(r.claim, ' ', 1) = ${this.node}::text AND split_part(r.claim, ' ', 2) <> ${this.processId}::text))
        RETURNING r.recipient
      )
      SELECT recipient, state, false AS claimed FROM known
      UNION ALL SELECT recipient, NULL, true FROM added
      UNION ALL SELECT recipient, NULL, true FROM claimed`,
    );
    const states = new Map(rows.filter((r) => !r.claimed).map((r) => [r.recipient, r.state]));
    const claimedNow = new Set(rows.filter((r) => r.claimed).map((r) => r.recipient));
    const settled = new Set(
      [...states]
        .filter(([, state]) => state === 'DELIVERED' || state === 'FAILED')
        .map(([recipient]) => recipient),
    );
    const busy = input.recipients.filter((r) => !settled.has(r) && !claimedNow.has(r));
    if (busy.length > 0) {
      await this.releaseInbound(input.identificativo, claim);
      throw new InboundBusyError(input.identificativo, busy);
    }
    const newlyReceived = input.recipients.filter((r) => !states.has(r));
    return { newlyReceived, settled, claim };
  }

  /** Gives up what an attempt claimed and did not settle (it failed): the sender's retry takes it. */
  async releaseInbound(identificativo: string, claim: string): Promise<void> {
    await this.db.query(sql`
      UPDATE pec_recipients r SET claim = NULL, claimed_at = NULL
      FROM pec_messages m
      WHERE m.id = r.message_id AND m.identificativo = ${identificativo} AND m.direction = 'INBOUND'
        AND r.claim = ${claim}::text`);
  }

  settleInbound(
    identificativo: string,
    recipient: string,
    delivered: boolean,
    reason?: string,
  ): Promise<void> {
    return this.settled.submit({ identificativo, recipient, delivered, reason: reason ?? null });
  }

  private async settleInboundBatch(items: InboundSettlement[]): Promise<void[]> {
    await this.db.query(sql`
      UPDATE pec_recipients r
      SET state = CASE WHEN x.delivered THEN 'DELIVERED' ELSE 'FAILED' END::"RecipientState",
          delivered_at = CASE WHEN x.delivered THEN now() ELSE r.delivered_at END,
          failed_at = CASE WHEN x.delivered THEN r.failed_at ELSE now() END,
          failure_reason = CASE WHEN x.delivered THEN r.failure_reason ELSE x.reason END,
          claim = NULL, claimed_at = NULL, updated_at = now()
      FROM pec_messages m,
           unnest(${items.map((i) => i.identificativo)}::text[], ${items.map((i) => i.recipient)}::text[],
                  ${items.map((i) => i.delivered)}::boolean[], ${items.map((i) => i.reason)}::text[])
             AS x(identificativo, recipient, delivered, reason)
      WHERE m.id = r.message_id AND m.identificativo = x.identificativo AND m.direction = 'INBOUND'
        AND r.recipient = x.recipient`);
    return items.map(() => undefined);
  }

  // ── Relay failures (mail/mta/relay-failure.ts) ──────────────────────────────────────────────
  /**
   * Settles a recipient whose busta could not be relayed (refused for good, or expired in our
   * spool) with the guard of the 24 h claim above, so exactly one of the two sends a notice. Returns
   * what the notice restates, or null when something else settled the recipient. A row an earlier
   * relay failure claimed (failure_reason starts with `relayFailureMark`) counts as claimed by this
   * call: that process may have died before queueing its notice, which is keyed, so never doubled.
   */
  async claimRelayFailure(
    identificativo: string,
    recipient: string,
    reason: string,
    at = new Date(),
  ): Promise<RelayFailureClaim | null> {
    const [row] = await rowsOf<{
      claimed: boolean;
      ours: boolean;
      certified: boolean;
      sender: string;
      spool_path: string | null;
      accepted_at: Date;
      recipients: { address: string; certified: boolean; isCc: boolean }[];
    }>(
      this.db,
      sql`
      WITH target AS (
        SELECT r.id, r.certified, r.message_id, m.sender, m.spool_path, m.created_at AS accepted_at,
               r.state = 'FAILED' AND r.mancata_consegna_sent_at IS NOT NULL
                 AND starts_with(coalesce(r.failure_reason, ''), ${relayFailureMark}::text) AS ours
        FROM pec_recipients r JOIN pec_messages m ON m.id = r.message_id
        WHERE m.identificativo = ${identificativo} AND m.direction = 'OUTBOUND' AND r.recipient = ${recipient.toLowerCase()}
      ),
      claimed AS (
        UPDATE pec_recipients r
        SET state = 'FAILED', failed_at = ${at}::timestamptz, failure_reason = ${relayFailureMark + reason}::text,
            mancata_consegna_sent_at = ${at}::timestamptz,
            preavviso_sent_at = coalesce(r.preavviso_sent_at, ${at}::timestamptz), updated_at = now()
        FROM target t
        WHERE r.id = t.id AND r.mancata_consegna_sent_at IS NULL AND r.state IN ('ACCEPTED', 'RELAYED', 'TAKEN_IN_CHARGE')
        RETURNING r.id
      )
      SELECT EXISTS (SELECT 1 FROM claimed) AS claimed, t.ours, t.certified, t.sender, t.spool_path, t.accepted_at,
             (SELECT json_agg(json_build_object('address', x.recipient, 'certified', x.certified, 'isCc', x.is_cc))
              FROM pec_recipients x WHERE x.message_id = t.message_id) AS recipients
      FROM target t`,
    );
    if (!row || !(row.claimed || row.ours)) return null;
    if (row.claimed) await this.completeIfSettled(identificativo);
    return {
      sender: row.sender,
      originalPath: row.spool_path,
      acceptedAt: row.accepted_at,
      certified: row.certified,
      recipients: row.recipients,
    };
  }
}
