/**
 * Mailbox reads within the actor's scope (the mailbox pages, the CSV export and the MTA-facing
 * actions build on these). Lists are paged in SQL: search by address prefix or holder name, sort
 * by address, expiry or status, with the id as tie-breaker so pages never overlap.
 */
import type { MailboxStatus, Prisma, PrismaClient } from '@/lib/db';
import { mailboxWhereForActor, type Actor } from '@/lib/permissions';
import { isUuid } from './organizations';
import { pageWindow, toPage, type Page, type PageRequest } from './pagination';

type Db = PrismaClient | Prisma.TransactionClient;

export async function getMailboxForActor(db: Db, actor: Actor, id: string) {
  if (!isUuid(id)) return null;
  return db.mailbox.findFirst({ where: { AND: [{ id }, mailboxWhereForActor(actor)] } });
}

export async function findMailboxByAddressForActor(db: Db, actor: Actor, address: string) {
  return db.mailbox.findFirst({ where: { AND: [{ address: address.trim().toLowerCase() }, mailboxWhereForActor(actor)] } });
}

/** The mailbox with its domain and organization, for the detail page; null when out of scope. */
export async function getMailboxDetailForActor(db: Db, actor: Actor, id: string) {
  if (!isUuid(id)) return null;
  return db.mailbox.findFirst({
    where: { AND: [{ id }, mailboxWhereForActor(actor)] },
    include: {
      domain: { select: { id: true, name: true, kind: true, mailboxLimit: true } },
      organization: { select: { id: true, name: true, kind: true } },
    },
  });
}

export const mailboxSorts = ['address', 'expiry', 'status'] as const;
export type MailboxSort = (typeof mailboxSorts)[number];

export interface MailboxFilter {
  /** address prefix (`mario.r`, `mario.rossi@pec.`) or part of the holder's name */
  q?: string;
  status?: MailboxStatus;
  domainId?: string;
  organizationId?: string;
}

/** The deepest page served; beyond it the user narrows the search (keeps OFFSET bounded). */
export const maxMailboxPages = 400;

export function mailboxListWhere(actor: Actor, filter: MailboxFilter): Prisma.MailboxWhereInput {
  const q = filter.q?.trim().toLowerCase();
  return {
    AND: [
      mailboxWhereForActor(actor),
      filter.status ? { status: filter.status } : {},
      filter.domainId && isUuid(filter.domainId) ? { domainId: filter.domainId } : {},
      filter.organizationId && isUuid(filter.organizationId) ? { organizationId: filter.organizationId } : {},
      q
        ? {
            OR: [
              { address: { startsWith: q } },
              { holderName: { contains: q, mode: 'insensitive' } },
              { holderSurname: { contains: q, mode: 'insensitive' } },
              { holderFiscalCode: { startsWith: q.toUpperCase() } },
            ],
          }
        : {},
    ],
  };
}

export function mailboxOrderBy(sort: MailboxSort | undefined): Prisma.MailboxOrderByWithRelationInput[] {
  if (sort === 'expiry') return [{ expiresAt: 'asc' }, { id: 'asc' }];
  if (sort === 'status') return [{ status: 'asc' }, { address: 'asc' }];
  return [{ address: 'asc' }];
}

const listSelect = {
  id: true,
  address: true,
  holderType: true,
  holderName: true,
  holderSurname: true,
  status: true,
  quotaBytes: true,
  usedBytes: true,
  expiresAt: true,
  organization: { select: { name: true } },
} satisfies Prisma.MailboxSelect;

export type MailboxListItem = Prisma.MailboxGetPayload<{ select: typeof listSelect }>;

export async function listMailboxes(
  db: Db,
  actor: Actor,
  options: PageRequest & MailboxFilter & { sort?: MailboxSort },
): Promise<Page<MailboxListItem>> {
  const where = mailboxListWhere(actor, options);
  const window = pageWindow({ ...options, page: Math.min(options.page ?? 1, maxMailboxPages) });
  const [total, rows] = await Promise.all([
    db.mailbox.count({ where }),
    db.mailbox.findMany({ where, orderBy: mailboxOrderBy(options.sort), skip: window.skip, take: window.take, select: listSelect }),
  ]);
  const page = toPage(rows, total, window);
  return { ...page, pages: Math.min(page.pages, maxMailboxPages) };
}

const exportSelect = {
  id: true,
  address: true,
  holderType: true,
  holderName: true,
  holderSurname: true,
  holderFiscalCode: true,
  holderVatNumber: true,
  holderContactEmail: true,
  status: true,
  quotaBytes: true,
  usedBytes: true,
  expiresAt: true,
  createdAt: true,
  organization: { select: { name: true } },
} satisfies Prisma.MailboxSelect;

export type MailboxExportRow = Prisma.MailboxGetPayload<{ select: typeof exportSelect }>;

/**
 * Every mailbox matching the filter, in address order, fetched in keyset batches so an export of
 * any size holds one batch in memory at a time.
 */
export async function* iterateMailboxesForExport(
  db: Db,
  actor: Actor,
  filter: MailboxFilter,
  batchSize = 1000,
): AsyncGenerator<MailboxExportRow> {
  const where = mailboxListWhere(actor, filter);
  let after: string | undefined;
  for (;;) {
    const rows = await db.mailbox.findMany({
      where: after ? { AND: [where, { address: { gt: after } }] } : where,
      orderBy: { address: 'asc' },
      take: batchSize,
      select: exportSelect,
    });
    yield* rows;
    if (rows.length < batchSize) return;
    after = rows[rows.length - 1].address;
  }
}
