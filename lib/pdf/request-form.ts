/**
 * The filled "Modulo di attivazione" / "Modulo di rinnovo" of a PEC mailbox, as a one-page A4 PDF
 * (pdf-lib, standard Helvetica: no font files, no native code). The holder prints it, signs it and
 * uploads the scan. Always in Italian: it is the contractual document.
 */
import { PDFDocument, rgb, StandardFonts, type PDFFont, type PDFPage } from 'pdf-lib';
import { toWinAnsi } from './win-ansi';

export interface RequestFormSection {
  title: string;
  rows: [label: string, value: string][];
}

export interface RequestFormDocument {
  kind: 'ACTIVATION' | 'RENEWAL';
  /** short request number printed in the header */
  number: string;
  issuedAt: Date;
  providerName: string;
  sections: RequestFormSection[];
  /** declarations the signer makes (terms accepted...) */
  declarations: string[];
  timeZone?: string;
}

const A4: [number, number] = [595.28, 841.89];
const margin = 48;
const ink = rgb(0.1, 0.12, 0.16);
const muted = rgb(0.4, 0.43, 0.48);
const rule = rgb(0.78, 0.8, 0.84);
const band = rgb(0.93, 0.95, 0.98);

/** Splits text into lines no wider than `width` at the given size. */
function wrap(text: string, font: PDFFont, size: number, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/)) {
      const candidate = line ? `${line} ${word}` : word;
      if (font.widthOfTextAtSize(candidate, size) <= width || !line) line = candidate;
      else {
        lines.push(line);
        line = word;
      }
    }
    lines.push(line);
  }
  return lines;
}

export async function buildRequestFormPdf(doc: RequestFormDocument): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const title = doc.kind === 'ACTIVATION' ? 'Modulo di attivazione casella PEC' : 'Modulo di rinnovo casella PEC';
  pdf.setTitle(`${title} n. ${doc.number}`);
  pdf.setAuthor(toWinAnsi(doc.providerName));
  pdf.setCreationDate(doc.issuedAt);
  const regular = await pdf.embedFont(StandardFonts.Helvetica);
  const bold = await pdf.embedFont(StandardFonts.HelveticaBold);
  let page: PDFPage = pdf.addPage(A4);
  const width = A4[0] - 2 * margin;
  let y = A4[1] - margin;

  const text = (s: string, x: number, yy: number, size: number, font = regular, color = ink) =>
    page.drawText(toWinAnsi(s), { x, y: yy, size, font, color });
  const ensure = (height: number) => {
    if (y - height < margin) {
      page = pdf.addPage(A4);
      y = A4[1] - margin;
    }
  };

  // header: provider, title, number and date
  text(doc.providerName, margin, y - 10, 10, bold, muted);
  const date = new Intl.DateTimeFormat('it-IT', { dateStyle: 'long', timeZone: doc.timeZone ?? 'Europe/Rome' }).format(doc.issuedAt);
  const right = `Richiesta n. ${doc.number}  ·  ${date}`;
  text(right, A4[0] - margin - regular.widthOfTextAtSize(toWinAnsi(right), 9), y - 10, 9, regular, muted);
  y -= 40;
  text(title, margin, y, 18, bold);
  y -= 10;
  page.drawLine({ start: { x: margin, y }, end: { x: A4[0] - margin, y }, thickness: 1.2, color: ink });
  y -= 18;

  const labelWidth = 190;
  for (const section of doc.sections) {
    ensure(40);
    page.drawRectangle({ x: margin, y: y - 5, width, height: 18, color: band });
    text(section.title.toUpperCase(), margin + 6, y, 9, bold);
    y -= 22;
    for (const [label, value] of section.rows) {
      const lines = wrap(toWinAnsi(value || '—'), regular, 10, width - labelWidth);
      const labelLines = wrap(toWinAnsi(label), regular, 9, labelWidth - 14);
      const rows = Math.max(lines.length, labelLines.length);
      ensure(14 * rows + 6);
      labelLines.forEach((l, i) => text(l, margin + 6, y - i * 14, 9, regular, muted));
      lines.forEach((l, i) => text(l, margin + labelWidth, y - i * 14, 10));
      y -= 14 * rows + 4;
      page.drawLine({ start: { x: margin, y: y + 6 }, end: { x: A4[0] - margin, y: y + 6 }, thickness: 0.4, color: rule });
    }
    y -= 10;
  }

  ensure(30);
  text('DICHIARAZIONI', margin, y, 9, bold);
  y -= 16;
  for (const d of doc.declarations) {
    const lines = wrap(toWinAnsi(d), regular, 9, width - 14);
    ensure(12 * lines.length + 4);
    page.drawRectangle({ x: margin, y: y - 1, width: 8, height: 8, borderColor: ink, borderWidth: 0.8 });
    text('X', margin + 1.6, y, 8, bold);
    lines.forEach((l, i) => text(l, margin + 14, y - i * 12, 9));
    y -= 12 * lines.length + 6;
  }

  // signature boxes: place and date, signature of the holder or legal representative
  ensure(110);
  y -= 14;
  const boxWidth = (width - 20) / 2;
  const boxes: [string, number][] = [
    ['Luogo e data', margin],
    ['Firma del richiedente / legale rappresentante', margin + boxWidth + 20],
  ];
  for (const [label, x] of boxes) {
    text(label, x, y, 9, bold);
    page.drawRectangle({ x, y: y - 76, width: boxWidth, height: 66, borderColor: ink, borderWidth: 0.8 });
  }
  y -= 96;
  text(
    'Allegare copia di un documento di identità valido del firmatario. Il modulo firmato va caricato nel portale o consegnato al rivenditore.',
    margin,
    Math.max(y, margin - 10),
    7.5,
    regular,
    muted,
  );
  return pdf.save();
}
