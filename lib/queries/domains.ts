/** Domain reads within the actor's scope (a foreign id is simply not found). */
import type { DnsVerificationState, DomainKind, Prisma, PrismaClient } from '@/lib/db';
import { domainWhereForActor, isAdmin, type Actor } from '@/lib/permissions';
import { isUuid } from './organizations';
import { pageWindow, toPage, type Page, type PageRequest } from './pagination';

type Db = PrismaClient | Prisma.TransactionClient;

export interface DomainListItem {
  id: string;
  name: string;
  kind: DomainKind;
  organizationId: string;
  organizationName: string;
  verificationState: DnsVerificationState;
  verifiedAt: Date | null;
  lastCheckedAt: Date | null;
  mailboxLimit: number | null;
  mailboxCount: number;
}

/**
 * Domains an admin sees: those of its scope, plus the provider-shared domains every customer may
 * put mailboxes on (read-only for non-provider admins: canManageDomain decides).
 */
export function visibleDomainWhere(actor: Actor): Prisma.DomainWhereInput {
  if (!isAdmin(actor)) return domainWhereForActor(actor);
  return { OR: [domainWhereForActor(actor), { kind: 'PROVIDER_SHARED' }] };
}

export async function listDomains(
  db: Db,
  actor: Actor,
  options: PageRequest & { q?: string; state?: DnsVerificationState },
): Promise<Page<DomainListItem>> {
  const q = options.q?.trim().toLowerCase();
  const where: Prisma.DomainWhereInput = {
    AND: [
      visibleDomainWhere(actor),
      options.state ? { verificationState: options.state } : {},
      q ? { OR: [{ name: { contains: q } }, { organization: { name: { contains: q, mode: 'insensitive' } } }] } : {},
    ],
  };
  const window = pageWindow(options);
  const [total, rows] = await Promise.all([
    db.domain.count({ where }),
    db.domain.findMany({
      where,
      orderBy: [{ kind: 'asc' }, { name: 'asc' }],
      skip: window.skip,
      take: window.take,
      include: { organization: { select: { name: true } }, _count: { select: { mailboxes: true } } },
    }),
  ]);
  return toPage(
    rows.map((d) => ({
      id: d.id,
      name: d.name,
      kind: d.kind,
      organizationId: d.organizationId,
      organizationName: d.organization.name,
      verificationState: d.verificationState,
      verifiedAt: d.verifiedAt,
      lastCheckedAt: d.lastCheckedAt,
      mailboxLimit: d.mailboxLimit,
      mailboxCount: d._count.mailboxes,
    })),
    total,
    window,
  );
}

/** One domain the actor may see, with its owner and mailbox count; null when out of reach. */
export async function getDomainForActor(db: Db, actor: Actor, id: string) {
  if (!isUuid(id)) return null;
  return db.domain.findFirst({
    where: { AND: [{ id }, visibleDomainWhere(actor)] },
    include: { organization: { select: { id: true, name: true, kind: true } }, _count: { select: { mailboxes: true } } },
  });
}

export async function findDomainByNameForActor(db: Db, actor: Actor, name: string) {
  return db.domain.findFirst({ where: { AND: [{ name: name.trim().toLowerCase() }, visibleDomainWhere(actor)] } });
}

/** Verified domains the actor may create mailboxes on (small list, for the create form). */
export async function mailboxDomainChoices(db: Db, actor: Actor) {
  return db.domain.findMany({
    where: { AND: [visibleDomainWhere(actor), { verificationState: 'VERIFIED' }] },
    select: { id: true, name: true, kind: true, organizationId: true, mailboxLimit: true },
    orderBy: [{ kind: 'asc' }, { name: 'asc' }],
    take: 500,
  });
}
