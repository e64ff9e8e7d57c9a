/**
 * Writes one audit event. Mutations go through defineAction (which calls this inside the action's
 * transaction); events that are not mutations of an entity — logins, failed logins, searches —
 * call it directly.
 */
import type { Prisma, PrismaClient, UserRole } from '@/lib/db';
import { auditSnapshot } from './snapshot';

/** Who acted and from where; ip/userAgent come from the request headers (requestContext()). */
export interface AuditContext {
  actorUserId?: string | null;
  actorEmail?: string | null;
  actorRole?: UserRole | null;
  ip?: string | null;
  userAgent?: string | null;
}

export interface AuditEntry {
  /** dotted verb, entity first: organization.create, user.password_reset, auth.login_failed */
  action: string;
  entityType?: string | null;
  entityId?: string | null;
  before?: unknown;
  after?: unknown;
  /** the organization whose admins and auditors may see the entry */
  organizationId?: string | null;
}

type Db = PrismaClient | Prisma.TransactionClient;

export async function recordAuditEvent(db: Db, context: AuditContext, entry: AuditEntry): Promise<void> {
  await db.auditEvent.create({
    data: {
      actorUserId: context.actorUserId ?? null,
      actorEmail: context.actorEmail ?? null,
      actorRole: context.actorRole ?? null,
      ip: context.ip ?? null,
      userAgent: context.userAgent?.slice(0, 512) ?? null,
      action: entry.action,
      entityType: entry.entityType ?? null,
      entityId: entry.entityId ?? null,
      before: entry.before === undefined ? undefined : (auditSnapshot(entry.before) as Prisma.InputJsonValue),
      after: entry.after === undefined ? undefined : (auditSnapshot(entry.after) as Prisma.InputJsonValue),
      organizationId: entry.organizationId ?? null,
    },
  });
}

/** The client address: first hop of X-Forwarded-For, else X-Real-IP (set by the reverse proxy). */
export function clientIpFromHeaders(headers: { get(name: string): string | null }): string | null {
  const forwarded = headers.get('x-forwarded-for');
  if (forwarded) {
    const first = forwarded.split(',')[0]?.trim();
    if (first) return first;
  }
  return headers.get('x-real-ip')?.trim() || null;
}
