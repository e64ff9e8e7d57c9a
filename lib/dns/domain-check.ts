/**
 * Checking a stored domain and recording the outcome: used by "Verifica" in the portal and by the
 * periodic re-check (npm run domains:recheck). A domain whose records are all in place is
 * VERIFIED (active: mailboxes may be created on it); otherwise FAILED with the problems stored.
 * A change of state is announced to the MTA.
 */
import type { Prisma, PrismaClient } from '@/lib/db';
import type { Config } from '@/lib/config';
import type { Domain } from '@/prisma/generated/client';
import { recordAuditEvent } from '@/lib/audit/record';
import { notifyConfigChanged } from '@/lib/db/config-changes';
import { newVerificationToken } from './records';
import { createDnsResolver, type DnsLookup } from './resolver';
import { checkDomainDns, type DnsProblem } from './verify';

export interface DnsCheckDeps {
  resolver: DnsLookup;
  mxHostname: string;
}

export function dnsCheckDepsFromConfig(config: Pick<Config, 'dns'>): DnsCheckDeps {
  return { resolver: createDnsResolver(config.dns.servers), mxHostname: config.dns.mxHostname };
}

export interface DomainCheckOutcome {
  domain: Domain;
  problems: DnsProblem[];
  changed: boolean;
}

/** Looks the domain up in DNS (outside any transaction: lookups may take seconds). */
export async function lookUpDomain(domain: Pick<Domain, 'name' | 'verificationToken'>, deps: DnsCheckDeps): Promise<DnsProblem[]> {
  return checkDomainDns(deps.resolver, domain.name, { token: domain.verificationToken ?? newVerificationToken(), mxHostname: deps.mxHostname });
}

/** Stores the outcome of a lookup on the domain row (inside the caller's transaction). */
export async function recordDomainCheck(
  tx: Prisma.TransactionClient,
  domain: Domain,
  problems: DnsProblem[],
  now = new Date(),
): Promise<DomainCheckOutcome> {
  const state = problems.length === 0 ? 'VERIFIED' : 'FAILED';
  const updated = await tx.domain.update({
    where: { id: domain.id },
    data: {
      verificationState: state,
      dnsProblems: problems as unknown as Prisma.InputJsonValue,
      lastCheckedAt: now,
      verifiedAt: state === 'VERIFIED' ? (domain.verificationState === 'VERIFIED' ? domain.verifiedAt : now) : domain.verifiedAt,
    },
  });
  const changed = updated.verificationState !== domain.verificationState;
  if (changed) await notifyConfigChanged(tx, 'domain', domain.id);
  return { domain: updated, problems, changed };
}

export interface RecheckSummary {
  checked: number;
  broken: { name: string; problems: DnsProblem[] }[];
  repaired: string[];
}

/**
 * The periodic re-check: every domain that was verified once (state VERIFIED, or FAILED after a
 * verification) is looked up again; a change of state is recorded in the audit trail, so the
 * domain's admins see when and why it broke.
 */
export async function recheckDomains(db: PrismaClient, deps: DnsCheckDeps, options: { concurrency?: number } = {}): Promise<RecheckSummary> {
  const domains = await db.domain.findMany({ where: { verifiedAt: { not: null } }, orderBy: { name: 'asc' } });
  const summary: RecheckSummary = { checked: 0, broken: [], repaired: [] };
  const queue = [...domains];
  const worker = async () => {
    for (let domain = queue.shift(); domain; domain = queue.shift()) {
      const problems = await lookUpDomain(domain, deps);
      const target = domain;
      const outcome = await db.$transaction(async (tx) => {
        const current = await tx.domain.findUniqueOrThrow({ where: { id: target.id } });
        const result = await recordDomainCheck(tx, current, problems);
        if (result.changed) {
          await recordAuditEvent(tx, {}, {
            action: 'domain.dns_recheck',
            entityType: 'Domain',
            entityId: current.id,
            before: { verificationState: current.verificationState },
            after: { verificationState: result.domain.verificationState, dnsProblems: problems },
            organizationId: current.organizationId,
          });
        }
        return result;
      });
      summary.checked++;
      if (outcome.changed && problems.length > 0) summary.broken.push({ name: target.name, problems });
      if (outcome.changed && problems.length === 0) summary.repaired.push(target.name);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  return summary;
}
