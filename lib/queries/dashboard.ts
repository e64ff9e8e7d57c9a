/** The dashboard's figures: real counts in the actor's scope, one round trip each. */
import type { PrismaClient } from '@/lib/db';
import {
  domainWhereForActor,
  mailboxWhereForActor,
  organizationWhereForActor,
  requestWhereForActor,
  type Actor,
} from '@/lib/permissions';

export interface DashboardFigures {
  resellers: number;
  companies: number;
  domains: number;
  mailboxes: number;
  activeMailboxes: number;
  expiringMailboxes: number;
  pendingRequests: number;
}

export async function dashboardFigures(db: PrismaClient, actor: Actor, now = new Date()): Promise<DashboardFigures> {
  const orgs = organizationWhereForActor(actor);
  const boxes = mailboxWhereForActor(actor);
  const in60Days = new Date(now.getTime() + 60 * 86_400_000);
  const [resellers, companies, domains, mailboxes, activeMailboxes, expiringMailboxes, pendingRequests] =
    await Promise.all([
      db.organization.count({ where: { AND: [orgs, { kind: 'RESELLER' }] } }),
      db.organization.count({ where: { AND: [orgs, { kind: 'COMPANY' }] } }),
      db.domain.count({ where: domainWhereForActor(actor) }),
      db.mailbox.count({ where: boxes }),
      db.mailbox.count({ where: { AND: [boxes, { status: 'ACTIVE' }] } }),
      db.mailbox.count({ where: { AND: [boxes, { status: 'ACTIVE' }, { expiresAt: { lte: in60Days } }] } }),
      db.mailboxRequest.count({ where: { AND: [requestWhereForActor(actor), { status: 'SUBMITTED' }] } }),
    ]);
  return { resellers, companies, domains, mailboxes, activeMailboxes, expiringMailboxes, pendingRequests };
}
