/** Organization reads, always within the actor's scope (a foreign id simply is not found). */
import type { OrganizationKind, Prisma, PrismaClient } from '@/lib/db';
import { organizationWhereForActor, type Actor } from '@/lib/permissions';
import { pageWindow, toPage, type Page, type PageRequest } from './pagination';

export type OrganizationSort = 'name' | 'created';

export interface OrganizationListItem {
  id: string;
  kind: OrganizationKind;
  name: string;
  parentName: string | null;
  vatNumber: string | null;
  contactEmail: string | null;
  disabled: boolean;
  createdAt: Date;
  mailboxCount: number;
  userCount: number;
}

export async function listOrganizations(
  db: PrismaClient,
  actor: Actor,
  options: PageRequest & { q?: string; kind?: OrganizationKind; sort?: OrganizationSort },
): Promise<Page<OrganizationListItem>> {
  const q = options.q?.trim();
  const where: Prisma.OrganizationWhereInput = {
    AND: [
      organizationWhereForActor(actor),
      options.kind ? { kind: options.kind } : {},
      q
        ? {
            OR: [
              { name: { contains: q, mode: 'insensitive' } },
              { vatNumber: { contains: q } },
              { fiscalCode: { contains: q, mode: 'insensitive' } },
              { contactEmail: { contains: q, mode: 'insensitive' } },
            ],
          }
        : {},
    ],
  };
  const window = pageWindow(options);
  const orderBy: Prisma.OrganizationOrderByWithRelationInput[] =
    options.sort === 'created' ? [{ createdAt: 'desc' }, { id: 'asc' }] : [{ name: 'asc' }, { id: 'asc' }];
  const [total, rows] = await Promise.all([
    db.organization.count({ where }),
    db.organization.findMany({
      where,
      orderBy,
      skip: window.skip,
      take: window.take,
      include: { parent: { select: { name: true } }, _count: { select: { mailboxes: true, users: true } } },
    }),
  ]);
  return toPage(
    rows.map((o) => ({
      id: o.id,
      kind: o.kind,
      name: o.name,
      parentName: o.parent?.name ?? null,
      vatNumber: o.vatNumber,
      contactEmail: o.contactEmail,
      disabled: o.disabled,
      createdAt: o.createdAt,
      mailboxCount: o._count.mailboxes,
      userCount: o._count.users,
    })),
    total,
    window,
  );
}

/** One organization in scope, with its parent and direct children; null when out of scope. */
export async function getOrganizationForActor(db: PrismaClient | Prisma.TransactionClient, actor: Actor, id: string) {
  if (!isUuid(id)) return null;
  return db.organization.findFirst({
    where: { AND: [{ id }, organizationWhereForActor(actor)] },
    include: {
      parent: { select: { id: true, name: true, kind: true } },
      children: { select: { id: true, name: true, kind: true, disabled: true }, orderBy: { name: 'asc' } },
      _count: { select: { mailboxes: true, users: true, domains: true } },
    },
  });
}

/** Organizations the actor may pick as a parent or as the home of a new user (small lists). */
export async function organizationChoices(db: PrismaClient, actor: Actor, kinds?: OrganizationKind[]) {
  return db.organization.findMany({
    where: { AND: [organizationWhereForActor(actor), kinds ? { kind: { in: kinds } } : {}, { disabled: false }] },
    select: { id: true, name: true, kind: true, parentId: true },
    orderBy: [{ kind: 'asc' }, { name: 'asc' }],
    take: 500,
  });
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Ids from URLs are checked before they reach a uuid column (a malformed id is just "not found"). */
export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}
