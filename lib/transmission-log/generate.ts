/**
 * Bulk generation of a realistic transmission log, for the benchmark: tens of millions of events in
 * SQL (INSERT … SELECT generate_series), one month at a time.
 *
 * Each month is filled into a bare table and then ATTACHed as that month's partition: PostgreSQL
 * then builds the partition's indexes in one sort each, far faster than maintaining eight indexes
 * row by row. A month is one transaction, so an interrupted run leaves whole months and resumes.
 *
 * The shape: 20,000 customer mailboxes on 2,000 customer domains (skewed: a few mailboxes send a
 * lot), recipients 60% customers and 40% on 500 other providers' domains, 1–3 recipients per
 * message; every message gets ACCETTAZIONE, then per recipient RELAYED (the busta), PRESA_IN_CARICO
 * and AVVENUTA_CONSEGNA or (3%) PREAVVISO + ERRORE_CONSEGNA; 0.5% are refused (NON_ACCETTAZIONE).
 */
import type pg from 'pg';

export const benchShape = {
  customerDomains: 2000,
  mailboxes: 20000,
  externalDomains: 500,
  /** average events per message, to size the number of messages per month */
  eventsPerMessage: 4.9,
};

/** Customer mailbox k's address (the bench picks query values with the same rule). */
export function benchMailbox(k: number): string {
  return `u${k}@${benchDomain(k % benchShape.customerDomains)}`;
}

export function benchDomain(d: number): string {
  return `pec.azienda${d}.it`;
}

export function partitionName(monthStart: Date): string {
  return `transmission_log_y${monthStart.getUTCFullYear()}m${String(monthStart.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The SQL filling `table` with `messages` messages (numbered from `firstMessage`) within [lo, hi). */
function monthSql(table: string): string {
  const { customerDomains: D, mailboxes: M, externalDomains: E } = benchShape;
  // $1 lo, $2 hi, $3 first message number, $4 last message number
  return `
WITH msg AS MATERIALIZED (
  SELECT n,
         $1::timestamptz + random() * ($2::timestamptz - $1::timestamptz) AS t0,
         floor(power(random(), 3) * ${M})::int AS k,
         1 + (random() < 0.25)::int + (random() < 0.05)::int AS nrec,
         random() < 0.005 AS refused
    FROM generate_series($3::bigint, $4::bigint) AS n
), m AS MATERIALIZED (
  SELECT n, t0, refused, nrec,
         'u' || k || '@pec.azienda' || (k % ${D}) || '.it' AS sender,
         'opec210.' || to_char(t0 AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISS') || '.' || n || '@pec.provider.it' AS ident,
         '<' || md5(n::text) || '@mua.example>' AS omid
    FROM msg
), rcp AS MATERIALIZED (
  SELECT m.n, m.t0, m.sender, m.ident, m.omid, g.r, g.fate,
         CASE WHEN g.internal < 0.6
              THEN 'u' || g.k2 || '@pec.azienda' || (g.k2 % ${D}) || '.it'
              ELSE 'x' || (m.n % 100000) || '@pec.esterno' || ((m.n * 7 + g.r) % ${E}) || '.it' END AS recipient
    FROM m CROSS JOIN LATERAL (
      SELECT r, floor(power(random(), 3) * ${M})::int AS k2, random() AS internal, random() AS fate
        FROM generate_series(1, m.nrec) AS r
    ) AS g
   WHERE NOT m.refused
), ev AS (
  SELECT t0 AS at, CASE WHEN refused THEN 'NON_ACCETTAZIONE' ELSE 'ACCETTAZIONE' END AS kind,
         ident, omid, sender, NULL::text AS recipient, NULL::text AS provider,
         CASE WHEN refused THEN 'REFUSED' ELSE 'OK' END AS outcome
    FROM m
  UNION ALL
  SELECT t0 + interval '1 second' * (1 + r), 'RELAYED', ident, omid, sender, recipient,
         CASE WHEN recipient LIKE '%@pec.esterno%' THEN 'Provider ' || split_part(recipient, '@', 2) ELSE 'self' END, 'OK'
    FROM rcp
  UNION ALL
  SELECT t0 + interval '1 second' * (3 + r), 'PRESA_IN_CARICO', ident, omid, sender, recipient, NULL, 'OK'
    FROM rcp
  UNION ALL
  SELECT t0 + interval '1 second' * (8 + r + 20 * fate), 'AVVENUTA_CONSEGNA', ident, omid, sender, recipient, NULL, 'OK'
    FROM rcp WHERE fate >= 0.03
  UNION ALL
  SELECT t0 + interval '12 hours', 'PREAVVISO_ERRORE_CONSEGNA', ident, omid, sender, recipient, NULL, 'WARNING'
    FROM rcp WHERE fate < 0.03
  UNION ALL
  SELECT t0 + interval '24 hours', 'ERRORE_CONSEGNA', ident, omid, sender, recipient, NULL, 'ERROR'
    FROM rcp WHERE fate < 0.03
)
INSERT INTO public."${table}" (occurred_at, event_type, identificativo, original_message_id, sender, recipient,
                               counterpart_provider, outcome)
SELECT least(at, $2::timestamptz - interval '1 millisecond'), kind, ident, omid, sender, recipient, provider, outcome
  FROM ev`;
}

export interface GenerateOptions {
  /** first month (its first instant, UTC) */
  firstMonth: Date;
  months: number;
  totalEvents: number;
  onMonth?: (info: { partition: string; events: number; seconds: number; skipped: boolean }) => void;
}

/**
 * Fills every month that has no populated partition yet. Returns the number of events inserted.
 * Needs a fresh transmission_log (as migrated) on a database used for nothing else.
 */
export async function generateTransmissionLog(client: pg.Client, options: GenerateOptions): Promise<number> {
  const messagesPerMonth = Math.round(options.totalEvents / benchShape.eventsPerMessage / options.months);
  let inserted = 0;
  for (let i = 0; i < options.months; i++) {
    const lo = new Date(Date.UTC(options.firstMonth.getUTCFullYear(), options.firstMonth.getUTCMonth() + i, 1));
    const hi = new Date(Date.UTC(lo.getUTCFullYear(), lo.getUTCMonth() + 1, 1));
    const part = partitionName(lo);
    const started = process.hrtime.bigint();
    const attached = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_inherits WHERE inhrelid = to_regclass($1)`,
      [`public.${part}`],
    );
    if (Number(attached.rows[0].n) > 0) {
      const populated = await client.query(`SELECT 1 FROM public."${part}" LIMIT 1`);
      if (populated.rowCount) {
        options.onMonth?.({ partition: part, events: 0, seconds: 0, skipped: true });
        continue;
      }
    }
    await client.query('BEGIN');
    try {
      // an empty partition made by the migration for the months around now is replaced
      await client.query(`DROP TABLE IF EXISTS public."${part}"`);
      await client.query(`CREATE TABLE public."${part}" (LIKE public.transmission_log INCLUDING DEFAULTS)`);
      const first = i * messagesPerMonth + 1;
      const result = await client.query(monthSql(part), [lo, hi, first, first + messagesPerMonth - 1]);
      // ATTACH fires no insert trigger: the month's references go into the message-month lookup here
      await client.query(`SELECT log_index.note_partition($1::regclass)`, [`public."${part}"`]);
      await client.query(
        `ALTER TABLE public.transmission_log ATTACH PARTITION public."${part}" FOR VALUES FROM ('${lo.toISOString()}') TO ('${hi.toISOString()}')`,
      );
      await client.query('COMMIT');
      inserted += result.rowCount ?? 0;
      await client.query(`VACUUM (ANALYZE) public."${part}"`);
      options.onMonth?.({
        partition: part,
        events: result.rowCount ?? 0,
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
        skipped: false,
      });
    } catch (err) {
      await client.query('ROLLBACK');
      throw err;
    }
  }
  await client.query('ANALYZE public.transmission_log');
  return inserted;
}
