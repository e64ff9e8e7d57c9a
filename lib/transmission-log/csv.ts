/**
 * CSV for the log export (RFC 4180). A dozen lines instead of a library: every cell is a string we
 * format ourselves, rows are written synchronously into a page-sized chunk inside the export's
 * pull loop, and we need one thing libraries leave off by default — neutralising cells that a
 * spreadsheet would run as a formula (an attacker controls Message-IDs and subjects).
 */

/** One cell: quoted when it holds a separator, a quote or a line break; quotes doubled. */
export function csvCell(value: string | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = value;
  // =, +, -, @, tab, CR at the start make Excel/LibreOffice evaluate the cell (CSV injection)
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One record, CRLF-terminated as RFC 4180 asks. */
export function csvRow(cells: readonly (string | null | undefined)[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}
