/**
 * Streamed CSV export of a mailbox list (same columns as the import, plus status and usage), so a
 * list of any size leaves as it is read, one keyset batch at a time.
 */
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { MailboxExportRow } from '@/lib/queries/mailboxes';
import { csvColumns, formulaSafe } from './csv-columns';
import { mebibyte } from './holder';

export const exportHeader = [
  csvColumns.address[0],
  csvColumns.holderType[0],
  csvColumns.holderName[0],
  csvColumns.holderSurname[0],
  csvColumns.holderFiscalCode[0],
  csvColumns.holderVatNumber[0],
  csvColumns.holderContactEmail[0],
  csvColumns.quotaMb[0],
  csvColumns.expiresOn[0],
  'status',
  'used_mb',
  'organization',
  'created_at',
];

export function exportRecord(m: MailboxExportRow): string[] {
  return [
    m.address,
    m.holderType,
    m.holderName,
    m.holderSurname ?? '',
    m.holderFiscalCode ?? '',
    m.holderVatNumber ?? '',
    m.holderContactEmail ?? '',
    String(m.quotaBytes / mebibyte),
    m.expiresAt.toISOString().slice(0, 10),
    m.status,
    String(m.usedBytes / mebibyte),
    m.organization.name,
    m.createdAt.toISOString(),
  ].map(formulaSafe);
}

/** A byte stream of the CSV (header first); back-pressure from the consumer pauses the reads. */
export function mailboxCsvStream(rows: AsyncIterable<MailboxExportRow>): Readable {
  const source = Readable.from(
    (async function* () {
      yield exportHeader;
      for await (const m of rows) yield exportRecord(m);
    })(),
  );
  return source.pipe(stringify());
}
