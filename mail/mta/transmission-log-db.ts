/**
 * Transmission log rows in the partitioned `transmission_log` table (see lib/db/transmission-log.ts).
 * The MTA writes several rows per message, many at the same time: writes are naturally batched
 * (natural-batch.ts), so while one INSERT is in flight the next events wait and then go in one
 * multi-row INSERT. Each write() still resolves only once its own row is committed.
 */
import type { PrismaClient } from '@/lib/db/client';
import { rowsOf, sql, sqlClientOf, type SqlClient } from '@/lib/db/sql';
import { NaturalBatch } from './natural-batch';
import type { TransmissionEvent, TransmissionLogWriter } from './transmission-log';

/** `once` only means something with an identificativo to recognise the fact by. */
const isOnce = (e: TransmissionEvent) => e.once === true && (e.identificativo ?? null) !== null;

/** What makes two `once` events the same fact. */
const onceKey = (e: TransmissionEvent) =>
  JSON.stringify([e.type, e.identificativo, e.recipient ?? null, e.outcome]);

export class DatabaseTransmissionLog implements TransmissionLogWriter {
  private readonly db: SqlClient;
  private readonly batch = new NaturalBatch<TransmissionEvent, boolean>((events) => this.insert(events));

  constructor(db: SqlClient | PrismaClient) {
    this.db = sqlClientOf(db);
  }

  write(event: TransmissionEvent): Promise<boolean> {
    return this.batch.submit(event);
  }

  private async insert(events: TransmissionEvent[]): Promise<boolean[]> {
    // `once` within the batch: only the first of the same fact goes to the database.
    const seen = new Set<string>();
    const sent: number[] = [];
    events.forEach((e, i) => {
      if (!isOnce(e)) return void sent.push(i);
      const key = onceKey(e);
      if (seen.has(key)) return;
      seen.add(key);
      sent.push(i);
    });
    const rows = sent.map((i) => events[i]);
    // `once` against the facts on record (transmission_log_once_facts): the fact's key and its log
    // row go in one statement, so both or neither are written, and of two writers racing for the
    // same fact ON CONFLICT lets exactly one through.
    const kept = await rowsOf<{ n: string }>(
      this.db,
      sql`
      WITH e AS (
        SELECT * FROM unnest(${rows.map((e) => (e.occurredAt ?? new Date()).toISOString())}::timestamptz[],
                             ${rows.map((e) => e.type)}::text[],
                             ${rows.map((e) => e.identificativo ?? null)}::text[],
                             ${rows.map((e) => e.originalMessageId ?? null)}::text[],
                             ${rows.map((e) => e.sender ?? null)}::text[],
                             ${rows.map((e) => e.recipient ?? null)}::text[],
                             ${rows.map((e) => e.counterpartProvider ?? null)}::text[],
                             ${rows.map((e) => e.outcome)}::text[],
                             ${rows.map((e) => (e.details === undefined ? null : JSON.stringify(e.details)))}::jsonb[],
                             ${rows.map(isOnce)}::boolean[])
                      WITH ORDINALITY AS e(occurred_at, event_type, identificativo, original_message_id, sender,
                                           recipient, counterpart_provider, outcome, details, once, n)
      ),
      new_facts AS (
        INSERT INTO transmission_log_once_facts (identificativo, event_type, recipient, outcome, occurred_at)
        SELECT identificativo, event_type, COALESCE(recipient, ''), outcome, occurred_at FROM e WHERE once
        ON CONFLICT DO NOTHING
        RETURNING identificativo, event_type, recipient, outcome
      ),
      kept AS (
        SELECT * FROM e
        WHERE NOT e.once OR EXISTS (
          SELECT 1 FROM new_facts f
          WHERE f.identificativo = e.identificativo AND f.event_type = e.event_type
            AND f.recipient = COALESCE(e.recipient, '') AND f.outcome = e.outcome)
      ),
      inserted AS (
        INSERT INTO transmission_log (occurred_at, event_type, identificativo, original_message_id, sender, recipient,
                                      counterpart_provider, outcome, details)
        SELECT occurred_at, event_type, identificativo, original_message_id, sender, recipient,
               counterpart_provider, outcome, details
        FROM kept ORDER BY n
      )
      SELECT n FROM kept`,
    );
    const written = new Set(kept.map((k) => sent[Number(k.n) - 1]));
    return events.map((_, i) => written.has(i));
  }
}
