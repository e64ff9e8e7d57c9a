/**
 * Auditor search over the transmission log (the monthly-partitioned `transmission_log` table).
 *
 * Every query:
 *  - carries a time range (at most 30 months), so PostgreSQL prunes the months outside it;
 *  - is confined to a LogScope (what the actor may see), applied in SQL, never after the fact;
 *  - pages by keyset on (occurred_at, id), newest first: no OFFSET, no COUNT(*).
 *
 * How a page is read fast: with a sender, recipient or message id the planner walks that column's
 * index. Otherwise, when the rows are selected by domain (a domain filter, or a scope made of
 * domains and addresses), one ordered index walk per domain/address and side (sender, recipient)
 * reads at most `limit + 1` rows each, and the walks are merged: a page costs a few index
 * descents per month instead of filtering a whole month of other customers' rows.
 * The domain indexes are the expressions of migration 20261124033324_transmission_log_domains.
 * With a message id, the lookup of migration 20261124061430_transmission_log_message_months first
 * says which months hold it, and only those months are planned and read (not all thirty).
 */
import { addUtcMonths, getPrisma, Prisma, type PrismaClient } from '@/lib/db';

/** Months an auditor may search at once: the whole retention period. */
export const maxSearchMonths = 30;
export const defaultPageSize = 50;
/** pages larger than a screen are for the export, which reads a few thousand rows per query */
export const maxPageSize = 5000;

/**
 * What an actor may see of the log. `all`: everything (provider). Otherwise the rows whose sender
 * or recipient is in one of `domains` (the organization subtree's own domains) or is one of
 * `addresses` (its mailboxes on domains it does not own, e.g. the provider's shared domain; a
 * holder's own address). An empty restricted scope sees nothing.
 */
export type LogScope = { all: true } | { all: false; domains: readonly string[]; addresses: readonly string[] };

export const everything: LogScope = { all: true };

export interface LogSearchFilters {
  /** inclusive */
  from: Date;
  /** exclusive */
  to: Date;
  sender?: string;
  recipient?: string;
  /** a PEC identificativo or the original Message-ID, with or without angle brackets */
  messageId?: string;
  eventTypes?: readonly string[];
  outcome?: string;
  /** rows whose sender or recipient is in this domain */
  domain?: string;
}

/** A position in the newest-first order. */
export interface LogCursor {
  occurredAt: Date;
  id: bigint;
}

export interface LogPageRequest {
  limit?: number;
  /** the page of rows older than this cursor ("next") */
  after?: LogCursor;
  /** the page of rows newer than this cursor ("previous") */
  before?: LogCursor;
}

export interface LogEntry {
  id: bigint;
  occurredAt: Date;
  eventType: string;
  identificativo: string | null;
  originalMessageId: string | null;
  sender: string | null;
  recipient: string | null;
  counterpartProvider: string | null;
  outcome: string | null;
  details: unknown;
}

export interface LogPage {
  entries: LogEntry[];
  /** cursor for the next (older) page, when there is one */
  older?: LogCursor;
  /** cursor for the previous (newer) page, when there is one */
  newer?: LogCursor;
}

export class LogSearchError extends Error {
  constructor(
    /** stable code the portal translates: range.missing, range.order, range.tooLong, limit */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'LogSearchError';
  }
}

/** `date` moved by whole calendar months (UTC), keeping the day and time. */
export function addMonths(date: Date, months: number): Date {
  const d = new Date(date);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d;
}

/** Throws LogSearchError unless the range is ordered and at most 30 months long. */
export function checkSearchRange(from: Date, to: Date): void {
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()))
    throw new LogSearchError('range.missing', 'The time range needs a valid start and end');
  if (from >= to) throw new LogSearchError('range.order', 'The start of the time range must precede its end');
  // one hour of slack: 30 calendar months in Rome can be an hour longer than in UTC (summer time)
  if (to.getTime() > addMonths(from, maxSearchMonths).getTime() + 3_600_000)
    throw new LogSearchError('range.tooLong', `The time range may span at most ${maxSearchMonths} months`);
}

/** Addresses and domains are compared lower-case (the MTA logs them lower-case). */
export function normaliseAddress(value: string): string {
  return value.trim().toLowerCase();
}

export function normaliseDomain(value: string): string {
  return value.trim().toLowerCase().replace(/^@/, '');
}

/** The forms a message id may be stored in: bare and in angle brackets. */
export function messageIdForms(value: string): string[] {
  const bare = value.trim().replace(/^<(.*)>$/, '$1');
  return [bare, `<${bare}>`];
}

/** A reference as the month lookup keys it: without the angle brackets (log_index.message_ref). */
export function messageRef(value: string): string {
  return value.length >= 2 && value.startsWith('<') && value.endsWith('>') ? value.slice(1, -1) : value;
}

/**
 * The part of [from, to) where events whose identificativo or original Message-ID is `reference`
 * can be: from the first to the end of the last month the lookup lists for it. Undefined when no
 * month inside the range holds it (nothing can match).
 */
export async function messageMonthRange(
  reference: string,
  from: Date,
  to: Date,
  db: PrismaClient = getPrisma(),
): Promise<{ from: Date; to: Date } | undefined> {
  // a row matches when its column equals one of the forms, so its key is one of the forms' keys
  const refs = [...new Set(messageIdForms(reference).map(messageRef))];
  const [found] = await db.$queryRaw<{ first: Date | null; last: Date | null }[]>`
    SELECT min(month_start) AS first, max(month_start) AS last FROM log_index.message_months
     WHERE message_ref = ANY(${refs}::text[])
       AND month_start >= ${addUtcMonths(from, 0)}::timestamptz AND month_start < ${to}::timestamptz`;
  if (!found?.first || !found.last) return undefined;
  const lo = found.first > from ? found.first : from;
  const end = addUtcMonths(found.last, 1);
  const hi = end < to ? end : to;
  return lo < hi ? { from: lo, to: hi } : undefined;
}

/** The filters with their range narrowed to the months holding the message; undefined: no match. */
async function narrowToMessage(filters: LogSearchFilters, db: PrismaClient): Promise<LogSearchFilters | undefined> {
  if (!filters.messageId) return filters;
  const range = await messageMonthRange(filters.messageId, filters.from, filters.to, db);
  return range && { ...filters, ...range };
}

// Exactly the indexed expressions of the domain migration.
const senderDomain = Prisma.sql`lower(split_part(sender, '@', -1))`;
const recipientDomain = Prisma.sql`lower(split_part(recipient, '@', -1))`;

/** The columns a LogRow holds. */
export const logColumns = Prisma.sql`id, occurred_at, event_type, identificativo, original_message_id, sender, recipient,
  counterpart_provider, outcome, details`;

/** A transmission_log row as $queryRaw returns it. */
export interface LogRow {
  id: bigint;
  occurred_at: Date;
  event_type: string;
  identificativo: string | null;
  original_message_id: string | null;
  sender: string | null;
  recipient: string | null;
  counterpart_provider: string | null;
  outcome: string | null;
  details: unknown;
}

export function logRowToEntry(r: LogRow): LogEntry {
  return {
    id: BigInt(r.id),
    occurredAt: r.occurred_at,
    eventType: r.event_type,
    identificativo: r.identificativo,
    originalMessageId: r.original_message_id,
    sender: r.sender,
    recipient: r.recipient,
    counterpartProvider: r.counterpart_provider,
    outcome: r.outcome,
    details: r.details,
  };
}

/** The SQL condition of a scope (TRUE for everything). */
export function scopeCondition(scope: LogScope): Prisma.Sql {
  if (scope.all) return Prisma.sql`TRUE`;
  const domains = scope.domains.map(normaliseDomain);
  const addresses = scope.addresses.map(normaliseAddress);
  const parts: Prisma.Sql[] = [];
  if (domains.length > 0)
    parts.push(
      Prisma.sql`${senderDomain} = ANY(${domains}::text[])`,
      Prisma.sql`${recipientDomain} = ANY(${domains}::text[])`,
    );
  if (addresses.length > 0)
    parts.push(Prisma.sql`sender = ANY(${addresses}::text[])`, Prisma.sql`recipient = ANY(${addresses}::text[])`);
  if (parts.length === 0) return Prisma.sql`FALSE`;
  return Prisma.sql`(${Prisma.join(parts, ' OR ')})`;
}

/** The filter conditions (scope included), without the keyset bound. */
function filterConditions(filters: LogSearchFilters, scope: LogScope): Prisma.Sql[] {
  const conds: Prisma.Sql[] = [
    Prisma.sql`occurred_at >= ${filters.from}::timestamptz`,
    Prisma.sql`occurred_at < ${filters.to}::timestamptz`,
  ];
  if (filters.sender) conds.push(Prisma.sql`sender = ${normaliseAddress(filters.sender)}`);
  if (filters.recipient) conds.push(Prisma.sql`recipient = ${normaliseAddress(filters.recipient)}`);
  if (filters.messageId) {
    const forms = messageIdForms(filters.messageId);
    conds.push(Prisma.sql`(identificativo = ANY(${forms}::text[]) OR original_message_id = ANY(${forms}::text[]))`);
  }
  if (filters.eventTypes && filters.eventTypes.length > 0)
    conds.push(Prisma.sql`event_type = ANY(${[...filters.eventTypes]}::text[])`);
  if (filters.outcome) conds.push(Prisma.sql`outcome = ${filters.outcome}`);
  if (filters.domain) {
    const d = normaliseDomain(filters.domain);
    conds.push(Prisma.sql`(${senderDomain} = ${d} OR ${recipientDomain} = ${d})`);
  }
  if (!scope.all) conds.push(scopeCondition(scope));
  return conds;
}

/** Reads one page of matching rows in the given direction. */
async function readPage(
  db: PrismaClient,
  filters: LogSearchFilters,
  scope: LogScope,
  limit: number,
  bound: { dir: 'older' | 'newer'; cursor?: LogCursor },
): Promise<LogEntry[]> {
  const walks = walkPlan(filters, scope);
  // a walk over the domain filter only reaches that domain's rows, and walks over the scope's own
  // domains and addresses only rows inside it: the conditions they imply would only slow the plan
  const conds = walks
    ? walks.fromScope
      ? filterConditions(filters, everything)
      : filterConditions({ ...filters, domain: undefined }, scope)
    : filterConditions(filters, scope);
  const { dir, cursor } = bound;
  if (cursor) {
    const t = cursor.occurredAt;
    // the plain bound on occurred_at also prunes months and serves indexes led by another column
    conds.push(
      dir === 'older'
        ? Prisma.sql`occurred_at <= ${t}::timestamptz AND (occurred_at, id) < (${t}::timestamptz, ${cursor.id}::bigint)`
        : Prisma.sql`occurred_at >= ${t}::timestamptz AND (occurred_at, id) > (${t}::timestamptz, ${cursor.id}::bigint)`,
    );
  }
  const where = Prisma.join(conds, ' AND ');
  const order = dir === 'older' ? Prisma.sql`occurred_at DESC, id DESC` : Prisma.sql`occurred_at ASC, id ASC`;
  const take = limit + 1;
  let rows: LogRow[];
  if (!walks) {
    rows = await db.$queryRaw<LogRow[]>`
      SELECT ${logColumns} FROM transmission_log WHERE ${where} ORDER BY ${order} LIMIT ${take}`;
  } else {
    const count = walks.list.reduce((n, w) => n + w.values.length, 0);
    // One branch per value, the value a bound parameter: the planner then knows the index's
    // leading column is fixed, so each month's index is read in (occurred_at, id) order and only
    // `take` rows are read per branch. Past a few dozen branches the statement itself gets costly:
    // the values go in an array walked by LATERAL, correct but sorting each value's rows.
    const branches =
      count <= maxExplicitWalks
        ? walks.list.flatMap((w) =>
            w.values.map(
              (value) => Prisma.sql`(
                SELECT ${logColumns} FROM transmission_log
                 WHERE ${w.column} = ${value} AND ${where} ORDER BY ${order} LIMIT ${take})`,
            ),
          )
        : walks.list.map(
            (w) => Prisma.sql`
              SELECT t.* FROM unnest(${w.values}::text[]) AS v(value)
              CROSS JOIN LATERAL (
                SELECT ${logColumns} FROM transmission_log
                 WHERE ${w.column} = v.value AND ${where} ORDER BY ${order} LIMIT ${take}
              ) t`,
          );
    // a row matching two walks (sender and recipient in the same domain) appears once
    rows = await db.$queryRaw<LogRow[]>`
      SELECT DISTINCT ON (occurred_at, id) * FROM (${Prisma.join(branches, ' UNION ALL ')}) u
       ORDER BY ${order} LIMIT ${take}`;
  }
  return rows.map(logRowToEntry);
}

/** Above this many (side, value) walks, one LATERAL per side instead of one branch per value. */
export const maxExplicitWalks = 64;

/**
 * The ordered index walks that select the rows when no sender, recipient or message id does: one
 * per side (sender, recipient) over each domain or address. Undefined: the planner chooses.
 */
interface Walk {
  /** the indexed expression walked */
  column: Prisma.Sql;
  values: string[];
}

function walkPlan(filters: LogSearchFilters, scope: LogScope): { list: Walk[]; fromScope: boolean } | undefined {
  if (filters.sender || filters.recipient || filters.messageId) return undefined;
  let domains: string[];
  let addresses: string[];
  if (filters.domain) {
    domains = [normaliseDomain(filters.domain)];
    addresses = [];
  } else if (!scope.all) {
    domains = [...new Set(scope.domains.map(normaliseDomain))];
    addresses = [...new Set(scope.addresses.map(normaliseAddress))];
    if (domains.length === 0 && addresses.length === 0) return undefined;
  } else return undefined;
  const list: Walk[] = [];
  if (domains.length > 0)
    list.push({ column: senderDomain, values: domains }, { column: recipientDomain, values: domains });
  if (addresses.length > 0)
    list.push({ column: Prisma.sql`sender`, values: addresses }, { column: Prisma.sql`recipient`, values: addresses });
  return { list, fromScope: !filters.domain };
}

/**
 * One page of the log matching `filters` within `scope`, newest first. Without a cursor: the
 * newest page. `after`: the page older than the cursor; `before`: the page newer than it.
 */
export async function searchTransmissionLog(
  filters: LogSearchFilters,
  scope: LogScope,
  page: LogPageRequest = {},
  db: PrismaClient = getPrisma(),
): Promise<LogPage> {
  checkSearchRange(filters.from, filters.to);
  const limit = page.limit ?? defaultPageSize;
  if (!Number.isInteger(limit) || limit < 1 || limit > maxPageSize)
    throw new LogSearchError('limit', `The page size must be between 1 and ${maxPageSize}`);
  if (page.after && page.before) throw new LogSearchError('cursor', 'Give either after or before, not both');
  const narrowed = await narrowToMessage(filters, db);
  const read = (bound: Parameters<typeof readPage>[4]) =>
    narrowed ? readPage(db, narrowed, scope, limit, bound) : Promise.resolve([]);

  if (page.before) {
    const rows = await read({ dir: 'newer', cursor: page.before });
    const more = rows.length > limit;
    const entries = rows.slice(0, limit).reverse();
    return {
      entries,
      newer: more && entries.length > 0 ? keyOf(entries[0]) : undefined,
      // the cursor row itself is older than this page
      older: entries.length > 0 ? keyOf(entries[entries.length - 1]) : page.before,
    };
  }
  const rows = await read({ dir: 'older', cursor: page.after });
  const more = rows.length > limit;
  const entries = rows.slice(0, limit);
  return {
    entries,
    older: more ? keyOf(entries[entries.length - 1]) : undefined,
    newer: page.after ? (entries.length > 0 ? keyOf(entries[0]) : page.after) : undefined,
  };
}

export function keyOf(entry: LogEntry): LogCursor {
  return { occurredAt: entry.occurredAt, id: entry.id };
}

/** A cursor as an opaque URL-safe token. */
export function encodeLogCursor(cursor: LogCursor): string {
  return Buffer.from(`${cursor.occurredAt.toISOString()}|${cursor.id}`).toString('base64url');
}

/** The cursor of a token, or undefined when it is not one of ours. */
export function decodeLogCursor(token: string): LogCursor | undefined {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|(\d{1,19})$/.exec(text);
  if (!m) return undefined;
  const occurredAt = new Date(m[1]);
  if (Number.isNaN(occurredAt.getTime())) return undefined;
  return { occurredAt, id: BigInt(m[2]) };
}

/** All matching rows, page after page (for the export); memory holds one page at a time. */
export async function* iterateTransmissionLog(
  filters: LogSearchFilters,
  scope: LogScope,
  options: { pageSize?: number } = {},
  db: PrismaClient = getPrisma(),
): AsyncGenerator<LogEntry[]> {
  let after: LogCursor | undefined;
  for (;;) {
    const page = await searchTransmissionLog(filters, scope, { limit: options.pageSize ?? 1000, after }, db);
    if (page.entries.length > 0) yield page.entries;
    if (!page.older) return;
    after = page.older;
  }
}

/** The plan PostgreSQL chooses for a search page (tests and the bench check index use and pruning). */
export async function explainSearch(
  filters: LogSearchFilters,
  scope: LogScope,
  db: PrismaClient = getPrisma(),
  analyze = false,
): Promise<string> {
  const captured: Prisma.Sql[] = [];
  const proxy = {
    $queryRaw: (sql: TemplateStringsArray | Prisma.Sql, ...values: unknown[]) => {
      captured.push(sql instanceof Prisma.Sql ? sql : Prisma.sql(sql, ...values));
      return Promise.resolve([]);
    },
  } as unknown as PrismaClient;
  await readPage(proxy, (await narrowToMessage(filters, db)) ?? filters, scope, defaultPageSize, { dir: 'older' });
  const options = Prisma.raw(analyze ? '(ANALYZE, BUFFERS, COSTS OFF)' : '(COSTS OFF)');
  const rows = await db.$queryRaw<{ 'QUERY PLAN': string }[]>`EXPLAIN ${options} ${captured[0]}`;
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}
