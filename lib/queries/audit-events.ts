/**
 * Audit trail search with keyset pagination on (occurredAt, id) descending: the next page starts
 * strictly after the last row shown, so paging stays fast however deep, and rows added meanwhile
 * never shift a page.
 */
import type { Prisma, PrismaClient } from '@/lib/db';
import { auditEventWhereForActor, canSearchAuditTrailByActor, type Actor } from '@/lib/permissions';

export interface AuditSearch {
  /** actor e-mail (substring); provider admins only */
  actor?: string;
  /** action prefix, e.g. "user." or "organization.create" */
  action?: string;
  entityType?: string;
  entityId?: string;
  from?: Date;
  to?: Date;
  /** cursor from the previous page: "<epoch ms>_<id>" */
  after?: string;
  limit?: number;
}

export interface AuditPage {
  rows: {
    id: string;
    occurredAt: Date;
    actorEmail: string | null;
    actorRole: string | null;
    ip: string | null;
    action: string;
    entityType: string | null;
    entityId: string | null;
    before: unknown;
    after: unknown;
  }[];
  /** cursor of the next (older) page, undefined at the end */
  next?: string;
}

export function parseAuditCursor(cursor: string | undefined): { at: Date; id: bigint } | undefined {
  const m = /^(\d{1,15})_(\d{1,19})$/.exec(cursor ?? '');
  return m ? { at: new Date(Number(m[1])), id: BigInt(m[2]) } : undefined;
}

export async function searchAuditEvents(db: PrismaClient, actor: Actor, search: AuditSearch): Promise<AuditPage> {
  const limit = Math.min(Math.max(search.limit ?? 50, 1), 200);
  const cursor = parseAuditCursor(search.after);
  const filters: Prisma.AuditEventWhereInput[] = [auditEventWhereForActor(actor)];
  if (search.actor && canSearchAuditTrailByActor(actor)) {
    filters.push({ actorEmail: { contains: search.actor.trim().toLowerCase() } });
  }
  if (search.action) filters.push({ action: { startsWith: search.action.trim() } });
  if (search.entityType) filters.push({ entityType: search.entityType.trim() });
  if (search.entityId) filters.push({ entityId: search.entityId.trim() });
  if (search.from) filters.push({ occurredAt: { gte: search.from } });
  if (search.to) filters.push({ occurredAt: { lt: search.to } });
  if (cursor) {
    filters.push({
      OR: [{ occurredAt: { lt: cursor.at } }, { occurredAt: cursor.at, id: { lt: cursor.id } }],
    });
  }
  const rows = await db.auditEvent.findMany({
    where: { AND: filters },
    orderBy: [{ occurredAt: 'desc' }, { id: 'desc' }],
    take: limit + 1,
  });
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    rows: page.map((r) => ({
      id: r.id.toString(),
      occurredAt: r.occurredAt,
      actorEmail: r.actorEmail,
      actorRole: r.actorRole,
      ip: r.ip,
      action: r.action,
      entityType: r.entityType,
      entityId: r.entityId,
      before: r.before,
      after: r.after,
    })),
    next: rows.length > limit && last ? `${last.occurredAt.getTime()}_${last.id}` : undefined,
  };
}
