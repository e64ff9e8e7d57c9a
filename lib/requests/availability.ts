/**
 * Is an address free for a new mailbox? Taken by an existing mailbox, or asked for by a request
 * still open (submitted or approved), it is not. The domain must be one the requester may use:
 * a verified provider-shared domain, or a verified domain of the customer organization itself.
 */
import type { Prisma, PrismaClient } from '@/lib/db';
import { isValidLocalPart, normalizeLocalPart } from './form';

type Db = PrismaClient | Prisma.TransactionClient;

export type Availability = 'available' | 'taken' | 'invalid' | 'domain_unavailable';

/** Domains a request for this organization may use (null: a public request, shared domains only). */
export async function usableDomains(db: Db, organizationId: string | null) {
  return db.domain.findMany({
    where: {
      verificationState: 'VERIFIED',
      OR: [{ kind: 'PROVIDER_SHARED' }, ...(organizationId ? [{ kind: 'COMPANY' as const, organizationId }] : [])],
    },
    select: { id: true, name: true, kind: true, organizationId: true },
    orderBy: [{ kind: 'desc' }, { name: 'asc' }],
  });
}

export async function checkAddressAvailability(
  db: Db,
  input: { localPart: string; domainId: string; organizationId: string | null; excludeRequestId?: string },
): Promise<{ availability: Availability; address?: string }> {
  if (!isValidLocalPart(input.localPart)) return { availability: 'invalid' };
  const domain = (await usableDomains(db, input.organizationId)).find((d) => d.id === input.domainId);
  if (!domain) return { availability: 'domain_unavailable' };
  const address = `${normalizeLocalPart(input.localPart)}@${domain.name}`;
  const [mailbox, request] = await Promise.all([
    db.mailbox.findUnique({ where: { address }, select: { id: true } }),
    db.mailboxRequest.findFirst({
      where: {
        requestedAddress: address,
        status: { in: ['SUBMITTED', 'APPROVED'] },
        ...(input.excludeRequestId ? { id: { not: input.excludeRequestId } } : {}),
      },
      select: { id: true },
    }),
  ]);
  return { availability: mailbox || request ? 'taken' : 'available', address };
}
