/** Activation and renewal requests within the actor's scope: list (search, filter, pagination in SQL) and detail. */
import type { Prisma, PrismaClient, RequestKind, RequestStatus } from '@/lib/db';
import { requestWhereForActor, type Actor } from '@/lib/permissions';
import { isUuid } from './organizations';
import { pageWindow, toPage, type Page } from './pagination';

type Db = PrismaClient | Prisma.TransactionClient;

export interface RequestSearch {
  q?: string;
  status?: RequestStatus;
  kind?: RequestKind;
  page?: number;
}

const listSelect = {
  id: true,
  kind: true,
  status: true,
  requestedAddress: true,
  plan: true,
  durationYears: true,
  formData: true,
  submittedAt: true,
  createdAt: true,
  requesterOrganization: { select: { id: true, name: true } },
} satisfies Prisma.MailboxRequestSelect;

export type RequestListItem = Prisma.MailboxRequestGetPayload<{ select: typeof listSelect }>;

export async function listRequests(db: PrismaClient, actor: Actor, search: RequestSearch): Promise<Page<RequestListItem>> {
  const q = search.q?.trim();
  const where: Prisma.MailboxRequestWhereInput = {
    AND: [
      requestWhereForActor(actor),
      search.status ? { status: search.status } : {},
      search.kind ? { kind: search.kind } : {},
      q
        ? {
            OR: [
              { requestedAddress: { contains: q, mode: 'insensitive' } },
              { requesterOrganization: { name: { contains: q, mode: 'insensitive' } } },
              { formData: { path: ['holderName'], string_contains: q } },
              ...(isUuid(q) ? [{ id: q }] : []),
            ],
          }
        : {},
    ],
  };
  const window = pageWindow({ page: search.page ?? 1 });
  const [rows, total] = await Promise.all([
    db.mailboxRequest.findMany({ where, select: listSelect, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], skip: window.skip, take: window.take }),
    db.mailboxRequest.count({ where }),
  ]);
  return toPage(rows, total, window);
}

export async function getRequestForActor(db: Db, actor: Actor, id: string) {
  if (!isUuid(id)) return null;
  return db.mailboxRequest.findFirst({
    where: { AND: [{ id }, requestWhereForActor(actor)] },
    include: {
      domain: { select: { id: true, name: true, kind: true, verificationState: true } },
      mailbox: { select: { id: true, address: true, status: true, expiresAt: true, organizationId: true } },
      requesterOrganization: { select: { id: true, name: true, kind: true } },
      requesterUser: { select: { id: true, email: true } },
      decidedBy: { select: { id: true, email: true } },
    },
  });
}

export type RequestDetail = NonNullable<Awaited<ReturnType<typeof getRequestForActor>>>;

/** Count of requests waiting for a decision the actor may take (dashboard, navigation badge). */
export async function countPendingRequests(db: PrismaClient, actor: Actor): Promise<number> {
  return db.mailboxRequest.count({ where: { AND: [requestWhereForActor(actor), { status: 'SUBMITTED' }] } });
}
