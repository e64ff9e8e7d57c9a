/**
 * The per-message timeline an auditor opens from a search result: every logged event of one PEC
 * message, in order, grouped per recipient, with where each recipient's copy got to
 * (accettazione → busta → presa in carico → consegna, or the failure).
 *
 * The message is found by its identificativo or by the Message-ID its sender's client gave it; the
 * receipts of a message are logged under the message's identificativo, so once the identificativo
 * is known every event follows. The scope applies row by row: an auditor of the recipient's company
 * sees that recipient's events, not the sender's other recipients.
 */
import { getPrisma, Prisma, type PrismaClient } from '@/lib/db';
import {
  addMonths,
  maxSearchMonths,
  messageIdForms,
  logColumns,
  logRowToEntry,
  scopeCondition,
  type LogEntry,
  type LogRow,
  type LogScope,
} from '@/lib/queries/transmission-log';

/** Where one recipient's copy of the message got to. */
export type RecipientState =
  /** accepted, busta not yet sent on */
  | 'ACCEPTED'
  /** busta handed to the recipient's provider (or received, inbound) */
  | 'RELAYED'
  | 'TAKEN_IN_CHARGE'
  | 'DELIVERED'
  | 'FAILED'
  /** the whole message was refused at acceptance */
  | 'NOT_ACCEPTED';

export type TimelineStep = 'accettazione' | 'busta' | 'presaInCarico' | 'consegna' | 'preavviso' | 'errore';

/**
 * The step of the chain an event type stands for. Both spellings are understood: the daticert
 * names (AVVENUTA_CONSEGNA) and the MTA's directional ones (AVVENUTA_CONSEGNA_SENT/_RECEIVED,
 * BUSTA_RELAYED, MANCATA_CONSEGNA_*, TIMEOUT_SENT, VIRUS: see mail/mta/transmission-log.ts).
 */
export function stepOf(entry: Pick<LogEntry, 'eventType' | 'outcome'>): TimelineStep | undefined {
  const kind = entry.eventType.replace(/_(SENT|RECEIVED)$/, '');
  switch (kind) {
    case 'ACCETTAZIONE':
    case 'NON_ACCETTAZIONE':
      return 'accettazione';
    case 'RELAYED':
    case 'BUSTA_RELAYED':
    case 'RECEIVED':
    case 'POSTA_CERTIFICATA':
    case 'ANOMALIA':
      return isFailureOutcome(entry.outcome) ? 'errore' : 'busta';
    case 'PRESA_IN_CARICO':
      return 'presaInCarico';
    case 'AVVENUTA_CONSEGNA':
      return 'consegna';
    case 'PREAVVISO':
    case 'PREAVVISO_ERRORE_CONSEGNA':
      return 'preavviso';
    case 'ERRORE_CONSEGNA':
    case 'MANCATA_CONSEGNA':
    case 'TIMEOUT':
    case 'RILEVAZIONE_VIRUS':
    case 'VIRUS':
    case 'REFUSED':
      return 'errore';
    default:
      return isFailureOutcome(entry.outcome) ? 'errore' : undefined;
  }
}

function isFailureOutcome(outcome: string | null): boolean {
  return outcome === 'ERROR' || outcome === 'REFUSED' || outcome === 'FAILED';
}

export interface RecipientTimeline {
  recipient: string;
  state: RecipientState;
  /** a preavviso di mancata consegna was issued (delivery late, maybe failing) */
  warned: boolean;
  /** the first event of each step reached */
  steps: Partial<Record<TimelineStep, LogEntry>>;
  events: LogEntry[];
}

export interface MessageTimeline {
  identificativi: string[];
  originalMessageId: string | null;
  sender: string | null;
  acceptance: 'ACCEPTED' | 'NOT_ACCEPTED' | 'UNKNOWN';
  /** events not about one recipient (accettazione, non accettazione) */
  messageEvents: LogEntry[];
  recipients: RecipientTimeline[];
  /** every event, in order */
  events: LogEntry[];
  /** more events than `maxEvents` exist; the rest were not read */
  truncated: boolean;
}

const progress: Record<Exclude<RecipientState, 'NOT_ACCEPTED'>, number> = {
  ACCEPTED: 0,
  RELAYED: 1,
  TAKEN_IN_CHARGE: 2,
  DELIVERED: 3,
  FAILED: 3,
};

/** Groups a message's events (any order) into its timeline. Pure: the tests feed it directly. */
export function buildMessageTimeline(input: readonly LogEntry[], truncated = false): MessageTimeline {
  const events = [...input].sort(
    (a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const messageEvents: LogEntry[] = [];
  const byRecipient = new Map<string, LogEntry[]>();
  for (const e of events) {
    if (!e.recipient || e.eventType === 'ACCETTAZIONE' || e.eventType === 'NON_ACCETTAZIONE') {
      messageEvents.push(e);
      continue;
    }
    const list = byRecipient.get(e.recipient) ?? [];
    list.push(e);
    byRecipient.set(e.recipient, list);
  }
  const refused = messageEvents.some((e) => e.eventType === 'NON_ACCETTAZIONE');
  const acceptance = refused
    ? 'NOT_ACCEPTED'
    : messageEvents.some((e) => e.eventType === 'ACCETTAZIONE')
      ? 'ACCEPTED'
      : 'UNKNOWN';
  const acceptedEvent = messageEvents.find((e) => stepOf(e) === 'accettazione');

  const recipients: RecipientTimeline[] = [...byRecipient.entries()].map(([recipient, list]) => {
    const steps: RecipientTimeline['steps'] = {};
    if (acceptedEvent) steps.accettazione = acceptedEvent;
    let state: RecipientState = 'ACCEPTED';
    let last = -1;
    for (const e of list) {
      const step = stepOf(e);
      if (!step) continue;
      steps[step] ??= e;
      const reached: Exclude<RecipientState, 'NOT_ACCEPTED'> | undefined =
        step === 'busta'
          ? 'RELAYED'
          : step === 'presaInCarico'
            ? 'TAKEN_IN_CHARGE'
            : step === 'consegna'
              ? 'DELIVERED'
              : step === 'errore'
                ? 'FAILED'
                : undefined;
      // the furthest step wins; between consegna and errore, the later event
      if (reached && progress[reached] >= last) {
        state = reached;
        last = progress[reached];
      }
    }
    return {
      recipient,
      state: refused ? 'NOT_ACCEPTED' : state,
      warned: steps.preavviso !== undefined,
      steps,
      events: list,
    };
  });
  recipients.sort((a, b) => a.recipient.localeCompare(b.recipient));

  return {
    identificativi: [...new Set(events.map((e) => e.identificativo).filter((v): v is string => !!v))],
    originalMessageId: events.find((e) => e.originalMessageId)?.originalMessageId ?? null,
    sender: events.find((e) => e.sender)?.sender ?? null,
    acceptance,
    messageEvents,
    recipients,
    events,
    truncated,
  };
}

/** How far from the events found by reference the rest of a message's events are looked for. */
const eventSpreadMs = 7 * 86_400_000;

export interface TimelineOptions {
  /** searched window; default the 30 months of retention up to a month ahead */
  from?: Date;
  to?: Date;
  maxEvents?: number;
}

/**
 * The timeline of the message whose identificativo or original Message-ID is `reference`, as far
 * as `scope` may see it; undefined when no visible event matches (the page answers 404).
 */
export async function getMessageTimeline(
  reference: string,
  scope: LogScope,
  options: TimelineOptions = {},
  db: PrismaClient = getPrisma(),
): Promise<MessageTimeline | undefined> {
  const to = options.to ?? addMonths(new Date(), 1);
  const from = options.from ?? addMonths(to, -maxSearchMonths);
  const maxEvents = options.maxEvents ?? 2000;
  const forms = messageIdForms(reference);
  const range = Prisma.sql`occurred_at >= ${from}::timestamptz AND occurred_at < ${to}::timestamptz`;
  // Two plain statements rather than one with a sub-select: with literal arrays the planner reads
  // the identificativo and Message-ID indexes of each month (an IN (sub-select) OR … condition
  // cannot use them and would scan the whole log). The first finds the message, the second all of
  // its events near it, within the scope.
  const found = await db.$queryRaw<{ identificativo: string | null; first: Date; last: Date }[]>`
    SELECT identificativo, min(occurred_at) AS first, max(occurred_at) AS last FROM transmission_log
     WHERE ${range} AND (identificativo = ANY(${forms}::text[]) OR original_message_id = ANY(${forms}::text[]))
     GROUP BY identificativo`;
  if (found.length === 0) return undefined;
  const ids = found.map((r) => r.identificativo).filter((v): v is string => v !== null);
  // A message's events lie within days of each other (mancata consegna comes after 24 h): the
  // second statement reads only those months instead of all thirty.
  const first = Math.max(from.getTime(), Math.min(...found.map((r) => r.first.getTime())) - eventSpreadMs);
  const last = Math.min(to.getTime(), Math.max(...found.map((r) => r.last.getTime())) + eventSpreadMs);
  const near = Prisma.sql`occurred_at >= ${new Date(first)}::timestamptz AND occurred_at <= ${new Date(last)}::timestamptz`;
  const rows = await db.$queryRaw<LogRow[]>`
    SELECT ${logColumns} FROM transmission_log
     WHERE ${near} AND ${scopeCondition(scope)}
       AND (identificativo = ANY(${ids}::text[]) OR original_message_id = ANY(${forms}::text[]))
     ORDER BY occurred_at, id
     LIMIT ${maxEvents + 1}`;
  if (rows.length === 0) return undefined;
  const entries = rows.slice(0, maxEvents).map(logRowToEntry);
  return buildMessageTimeline(entries, rows.length > maxEvents);
}
