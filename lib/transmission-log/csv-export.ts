/**
 * The streamed CSV export of a log search: a ReadableStream that reads one keyset page each time
 * the consumer asks for more (pull), so a million rows never sit in memory and a slow download
 * slows the database reads down instead of buffering.
 */
import { getPrisma, type PrismaClient } from '@/lib/db';
import {
  searchTransmissionLog,
  type LogCursor,
  type LogEntry,
  type LogScope,
  type LogSearchFilters,
} from '@/lib/queries/transmission-log';
import { csvRow } from './csv';

/** Column headings, Italian by default (the portal passes the user's language). */
export const csvHeadings = {
  it: ['data_ora_utc', 'evento', 'esito', 'identificativo', 'message_id', 'mittente', 'destinatario', 'gestore', 'dettagli'],
  en: ['occurred_at_utc', 'event', 'outcome', 'identificativo', 'message_id', 'sender', 'recipient', 'provider', 'details'],
} as const;

export function logEntryCells(e: LogEntry): (string | null)[] {
  return [
    e.occurredAt.toISOString(),
    e.eventType,
    e.outcome,
    e.identificativo,
    e.originalMessageId,
    e.sender,
    e.recipient,
    e.counterpartProvider,
    e.details === null || e.details === undefined ? null : JSON.stringify(e.details),
  ];
}

export interface CsvExportOptions {
  pageSize?: number;
  /** stop after this many rows (the bench; the portal exports everything) */
  maxRows?: number;
  language?: keyof typeof csvHeadings;
  /** told the size of each page written (progress, audit) */
  onRows?: (rows: number) => void;
}

export function createLogCsvStream(
  filters: LogSearchFilters,
  scope: LogScope,
  options: CsvExportOptions = {},
  db: PrismaClient = getPrisma(),
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const pageSize = options.pageSize ?? 2000;
  let after: LogCursor | undefined;
  let written = 0;
  let started = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!started) {
          started = true;
          // the BOM makes spreadsheet programs read the file as UTF-8 (accented names)
          controller.enqueue(encoder.encode(`\uFEFF${csvRow(csvHeadings[options.language ?? 'it'])}`));
          return;
        }
        const remaining = options.maxRows === undefined ? pageSize : Math.min(pageSize, options.maxRows - written);
        if (remaining <= 0) {
          controller.close();
          return;
        }
        const page = await searchTransmissionLog(filters, scope, { limit: remaining, after }, db);
        if (page.entries.length > 0) {
          let chunk = '';
          for (const e of page.entries) chunk += csvRow(logEntryCells(e));
          controller.enqueue(encoder.encode(chunk));
          written += page.entries.length;
          options.onRows?.(page.entries.length);
        }
        if (!page.older) controller.close();
        else after = page.older;
      },
    },
    // one page queued ahead at most: memory stays at a couple of pages whatever the total
    { highWaterMark: 1 },
  );
}
