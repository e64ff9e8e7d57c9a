/** Portal user reads within the actor's scope. */
import type { Prisma, PrismaClient, UserRole } from '@/lib/db';
import { userWhereForActor, type Actor } from '@/lib/permissions';
import { isUuid } from './organizations';
import { pageWindow, toPage, type Page, type PageRequest } from './pagination';

export interface UserListItem {
  id: string;
  email: string;
  displayName: string | null;
  role: UserRole;
  organizationId: string;
  organizationName: string;
  disabled: boolean;
  totpEnabled: boolean;
  lastLoginAt: Date | null;
  lockedUntil: Date | null;
}

export async function listUsers(
  db: PrismaClient,
  actor: Actor,
  options: PageRequest & { q?: string; organizationId?: string },
): Promise<Page<UserListItem>> {
  const q = options.q?.trim().toLowerCase();
  const where: Prisma.UserWhereInput = {
    AND: [
      userWhereForActor(actor),
      options.organizationId && isUuid(options.organizationId) ? { organizationId: options.organizationId } : {},
      q
        ? { OR: [{ email: { contains: q } }, { displayName: { contains: q, mode: 'insensitive' } }] }
        : {},
    ],
  };
  const window = pageWindow(options);
  const [total, rows] = await Promise.all([
    db.user.count({ where }),
    db.user.findMany({
      where,
      orderBy: [{ email: 'asc' }],
      skip: window.skip,
      take: window.take,
      include: { organization: { select: { name: true } } },
    }),
  ]);
  return toPage(
    rows.map((u) => ({
      id: u.id,
      email: u.email,
      displayName: u.displayName,
      role: u.role,
      organizationId: u.organizationId,
      organizationName: u.organization.name,
      disabled: u.disabled,
      totpEnabled: u.totpEnabledAt !== null,
      lastLoginAt: u.lastLoginAt,
      lockedUntil: u.lockedUntil,
    })),
    total,
    window,
  );
}

export async function getUserForActor(db: PrismaClient | Prisma.TransactionClient, actor: Actor, id: string) {
  if (!isUuid(id)) return null;
  return db.user.findFirst({ where: { AND: [{ id }, userWhereForActor(actor)] } });
}
