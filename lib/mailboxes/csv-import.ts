/**
 * CSV bulk import of mailboxes: plan (the dry run: every row checked, every problem reported with
 * its line, field and reason) and apply (the same plan inside one transaction; nothing is written
 * unless every row is good). Passwords are generated, never read from the file, and returned once.
 */
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { Prisma } from '@/lib/db';
import type { Domain } from '@/prisma/generated/client';
import { ActionError } from '@/lib/audit/action';
import { hashPassword } from '@/lib/passwords';
import { canCreateMailbox, type Actor } from '@/lib/permissions';
import { visibleDomainWhere } from '@/lib/queries/domains';
import { getOrganizationForActor } from '@/lib/queries/organizations';
import { csvColumns, formulaSafe, holderTypeAliases, requiredCsvFields, type CsvField } from './csv-columns';
import { holderFields, localPartPattern, mailboxSettings } from './holder';
import { generateMailboxPassword } from './password-policy';
import { provisionMailboxes, remainingCapacity, type MailboxDraft } from './provision';

type Tx = Prisma.TransactionClient;

export const maxImportRows = 5000;
export const maxImportBytes = 2 * 1024 * 1024;

export interface ImportRowError {
  /** line in the file (the header is line 1); 0 for problems of the whole file */
  line: number;
  field: CsvField | 'file';
  /** dictionary key */
  message: string;
  /** the offending value, shown beside the message */
  value?: string;
}

export interface PlannedMailbox {
  line: number;
  address: string;
  domain: Pick<Domain, 'id' | 'name' | 'mailboxLimit' | 'verificationState' | 'organizationId' | 'kind'>;
  draft: Omit<MailboxDraft, 'passwordHash'>;
}

export interface ImportPlan {
  rows: PlannedMailbox[];
  errors: ImportRowError[];
  /** data rows read (without the header) */
  rowCount: number;
}

function parseCsv(csv: string): { header: string[]; records: string[][] } | undefined {
  const firstLine = csv.split(/\r?\n/, 1)[0] ?? '';
  // Italian spreadsheets save with semicolons
  const delimiter = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ';' : ',';
  try {
    const records = parse(csv, { delimiter, bom: true, skip_empty_lines: true, relax_column_count: true, trim: true }) as string[][];
    if (records.length === 0) return undefined;
    return { header: records[0].map((h) => h.trim().toLowerCase()), records: records.slice(1) };
  } catch {
    return undefined;
  }
}

const fieldOfPath: Record<string, CsvField> = {
  holderType: 'holderType',
  holderName: 'holderName',
  holderSurname: 'holderSurname',
  holderFiscalCode: 'holderFiscalCode',
  holderVatNumber: 'holderVatNumber',
  holderContactEmail: 'holderContactEmail',
  quotaMb: 'quotaMb',
  expiresOn: 'expiresOn',
};

function issueMessage(message: string, fallback: string): string {
  return /^[a-z]\w*\.[\w.]+$/.test(message) ? message : fallback;
}

/** The dry run. Reads the database (domains, taken addresses, limits) but writes nothing. */
export async function planMailboxImport(tx: Tx, actor: Actor, organizationId: string, csv: string): Promise<ImportPlan> {
  const errors: ImportRowError[] = [];
  const fail = (e: ImportRowError): ImportPlan => ({ rows: [], errors: [...errors, e], rowCount: 0 });
  const organization = await getOrganizationForActor(tx, actor, organizationId);
  if (!organization || !canCreateMailbox(actor, organization.id)) return fail({ line: 0, field: 'file', message: 'mailboxImport.organizationNotInScope' });
  if (Buffer.byteLength(csv) > maxImportBytes) return fail({ line: 0, field: 'file', message: 'mailboxImport.tooLarge' });
  const parsed = parseCsv(csv);
  if (!parsed) return fail({ line: 0, field: 'file', message: 'mailboxImport.unreadable' });
  const columnIndex = {} as Record<CsvField, number>;
  for (const [field, names] of Object.entries(csvColumns) as [CsvField, readonly string[]][]) {
    columnIndex[field] = parsed.header.findIndex((h) => names.includes(h));
  }
  const missing = requiredCsvFields.filter((f) => columnIndex[f] < 0);
  if (missing.length > 0) {
    return fail({ line: 1, field: 'file', message: 'mailboxImport.missingColumns', value: missing.map((f) => csvColumns[f][0]).join(', ') });
  }
  if (parsed.records.length === 0) return fail({ line: 0, field: 'file', message: 'mailboxImport.empty' });
  if (parsed.records.length > maxImportRows) return fail({ line: 0, field: 'file', message: 'mailboxImport.tooManyRows' });

  // lines: the header is line 1 (skip_empty_lines may shift lines after blank ones; rare in exports)
  const cell = (record: string[], field: CsvField) => (columnIndex[field] >= 0 ? (record[columnIndex[field]] ?? '').trim() : '');
  const domainNames = new Set<string>();
  for (const r of parsed.records) {
    const at = cell(r, 'address').toLowerCase().split('@');
    if (at.length === 2) domainNames.add(at[1]);
  }
  const domains = await tx.domain.findMany({
    where: { AND: [{ name: { in: [...domainNames] } }, visibleDomainWhere(actor)] },
    select: { id: true, name: true, mailboxLimit: true, verificationState: true, organizationId: true, kind: true },
  });
  const domainByName = new Map(domains.map((d) => [d.name, d]));
  const addresses = parsed.records.map((r) => cell(r, 'address').toLowerCase());
  const existing = new Set(
    (await tx.mailbox.findMany({ where: { address: { in: addresses.filter(Boolean) } }, select: { address: true } })).map((m) => m.address),
  );

  const seen = new Map<string, number>();
  const rows: PlannedMailbox[] = [];
  parsed.records.forEach((record, i) => {
    const line = i + 2;
    const rowErrors: ImportRowError[] = [];
    const address = addresses[i];
    const [localPart, domainName, extra] = address.split('@');
    let domain: PlannedMailbox['domain'] | undefined;
    if (!localPart || !domainName || extra !== undefined || !localPartPattern.test(localPart)) {
      rowErrors.push({ line, field: 'address', message: 'mailboxImport.badAddress', value: address });
    } else {
      domain = domainByName.get(domainName);
      if (!domain || (domain.kind === 'COMPANY' && domain.organizationId !== organizationId)) {
        rowErrors.push({ line, field: 'address', message: 'mailboxImport.domainNotInScope', value: domainName });
        domain = undefined;
      } else if (domain.verificationState !== 'VERIFIED') {
        rowErrors.push({ line, field: 'address', message: 'mailboxes.domainNotActive', value: domainName });
        domain = undefined;
      }
      const firstLine = seen.get(address);
      if (firstLine !== undefined) {
        rowErrors.push({ line, field: 'address', message: 'mailboxImport.duplicateInFile', value: String(firstLine) });
      } else {
        seen.set(address, line);
        if (existing.has(address)) rowErrors.push({ line, field: 'address', message: 'mailboxes.addressTaken', value: address });
      }
    }
    const typeCell = cell(record, 'holderType').toLowerCase().replace(/[\s-]+/g, '_');
    const holder = holderFields.safeParse({
      holderType: holderTypeAliases[typeCell] ?? typeCell.toUpperCase(),
      holderName: cell(record, 'holderName'),
      holderSurname: cell(record, 'holderSurname'),
      holderFiscalCode: cell(record, 'holderFiscalCode'),
      holderVatNumber: cell(record, 'holderVatNumber'),
      holderContactEmail: cell(record, 'holderContactEmail'),
    });
    const settings = mailboxSettings.safeParse({ quotaMb: cell(record, 'quotaMb'), expiresOn: cell(record, 'expiresOn') });
    for (const issue of [...(holder.error?.issues ?? []), ...(settings.error?.issues ?? [])]) {
      const field: CsvField = fieldOfPath[String(issue.path[0])] ?? 'holderName';
      if (rowErrors.some((e) => e.field === field)) continue;
      rowErrors.push({ line, field, message: issueMessage(issue.message, 'errors.invalid'), value: cell(record, field) });
    }
    errors.push(...rowErrors);
    if (rowErrors.length === 0 && domain && holder.success && settings.success) {
      rows.push({
        line,
        address,
        domain,
        draft: { ...holder.data, localPart, organizationId, quotaMb: settings.data.quotaMb, expiresOn: settings.data.expiresOn },
      });
    }
  });

  // limits: rows beyond the room left in a domain (or the organization) are errors
  const perDomain = new Map<string, PlannedMailbox[]>();
  for (const r of rows) perDomain.set(r.domain.id, [...(perDomain.get(r.domain.id) ?? []), r]);
  for (const group of perDomain.values()) {
    const room = await remainingCapacity(tx, group[0].domain, organizationId);
    for (const r of group.slice(Math.max(room, 0))) {
      errors.push({ line: r.line, field: 'address', message: 'mailboxes.limitReached', value: r.domain.name });
    }
  }
  errors.sort((a, b) => a.line - b.line);
  const bad = new Set(errors.map((e) => e.line));
  return { rows: rows.filter((r) => !bad.has(r.line)), errors, rowCount: parsed.records.length };
}

export interface ImportResult {
  created: number;
  /** address,password CSV: shown (downloaded) once, never stored */
  passwordsCsv: string;
  mailboxIds: string[];
}

/** All or nothing: throws ActionError('mailboxImport.hasErrors') if the plan has any error. */
export async function applyMailboxImport(tx: Tx, actor: Actor, organizationId: string, csv: string): Promise<ImportResult> {
  const plan = await planMailboxImport(tx, actor, organizationId, csv);
  if (plan.errors.length > 0) throw new ActionError('mailboxImport.hasErrors');
  const passwords = plan.rows.map(() => generateMailboxPassword());
  const hashes = await Promise.all(passwords.map((p) => hashPassword(p)));
  const byDomain = new Map<string, { domain: PlannedMailbox['domain']; drafts: MailboxDraft[] }>();
  plan.rows.forEach((r, i) => {
    const group = byDomain.get(r.domain.id) ?? { domain: r.domain, drafts: [] };
    group.drafts.push({ ...r.draft, passwordHash: hashes[i] });
    byDomain.set(r.domain.id, group);
  });
  const mailboxIds: string[] = [];
  for (const { domain, drafts } of byDomain.values()) {
    mailboxIds.push(...(await provisionMailboxes(tx, domain, drafts)).map((m) => m.id));
  }
  const passwordsCsv = stringify([['address', 'password'], ...plan.rows.map((r, i) => [formulaSafe(r.address), passwords[i]])]);
  return { created: plan.rows.length, passwordsCsv, mailboxIds };
}
