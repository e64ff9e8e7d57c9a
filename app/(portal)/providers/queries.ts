/** The trusted-provider list and detail for the provider admin's pages (search and pagination in SQL). */
import type { Prisma, PrismaClient } from '@/lib/db';
import { pageWindow, toPage, type Page } from '@/lib/queries/pagination';

export type ProviderStateFilter = 'enabled' | 'disabled';

const withParts = {
  domains: { select: { domain: true }, orderBy: { domain: 'asc' } },
  certificates: { select: { id: true, sha1: true, subject: true, notBefore: true, notAfter: true }, orderBy: { notAfter: 'desc' } },
} as const satisfies Prisma.TrustedProviderInclude;

export type ListedProvider = Prisma.TrustedProviderGetPayload<{ include: typeof withParts }>;

export async function listTrustedProviders(
  db: PrismaClient,
  filters: { q?: string; state?: ProviderStateFilter; page?: number },
): Promise<Page<ListedProvider>> {
  const q = filters.q?.trim();
  const where: Prisma.TrustedProviderWhereInput = {
    ...(filters.state ? { disabled: filters.state === 'disabled' } : {}),
    ...(q
      ? {
          OR: [
            { providerName: { contains: q, mode: 'insensitive' } },
            { mailReceipt: { contains: q.toLowerCase() } },
            { domains: { some: { domain: { contains: q.toLowerCase() } } } },
            { certificates: { some: { sha1: { startsWith: q.toLowerCase().replace(/:/g, '') } } } },
          ],
        }
      : {}),
  };
  const window = pageWindow({ page: filters.page });
  const [rows, total] = await Promise.all([
    db.trustedProvider.findMany({ where, include: withParts, orderBy: [{ providerName: 'asc' }, { id: 'asc' }], skip: window.skip, take: window.take }),
    db.trustedProvider.count({ where }),
  ]);
  return toPage(rows, total, window);
}

export function getTrustedProvider(db: PrismaClient, id: string): Promise<ListedProvider | null> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return Promise.resolve(null);
  return db.trustedProvider.findUnique({ where: { id }, include: withParts });
}
