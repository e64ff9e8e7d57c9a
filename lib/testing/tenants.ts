/**
 * Test fixture of two tenant branches under one provider, for permission and browser tests:
 *
 *   provider ─┬─ reseller A ── company A (domain pec.alfa.test, mailbox info@pec.alfa.test)
 *             └─ reseller B ── company B (domain pec.beta.test, mailbox info@pec.beta.test)
 *
 * with one user per role on the A side (provider admin, reseller admin A, company admin A,
 * auditor A at reseller A, holder of info@pec.alfa.test) and the same roles on the B side.
 * Every user has the same known password.
 */
import type { PrismaClient, UserRole } from '@/lib/db';
import { hashPassword } from '@/lib/passwords';

export const fixturePassword = 'Correct-Horse-Battery-9';

export interface TenantFixture {
  providerId: string;
  resellerA: string;
  resellerB: string;
  companyA: string;
  companyB: string;
  domainA: string;
  domainB: string;
  mailboxA: string;
  mailboxB: string;
  users: Record<
    'provider' | 'resellerA' | 'companyA' | 'auditorA' | 'holderA' | 'resellerB' | 'companyB' | 'holderB',
    { id: string; email: string; role: UserRole }
  >;
}

export async function createTenantFixture(db: PrismaClient, suffix = ''): Promise<TenantFixture> {
  const passwordHash = await hashPassword(fixturePassword);
  const provider =
    (await db.organization.findFirst({ where: { kind: 'PROVIDER' } })) ??
    (await db.organization.create({ data: { kind: 'PROVIDER', name: 'Gestore Test' } }));
  const org = (kind: 'RESELLER' | 'COMPANY', name: string, parentId: string) =>
    db.organization.create({ data: { kind, name: `${name}${suffix}`, parentId } });
  const resellerA = await org('RESELLER', 'Rivenditore Alfa', provider.id);
  const resellerB = await org('RESELLER', 'Rivenditore Beta', provider.id);
  const companyA = await org('COMPANY', 'Alfa S.r.l.', resellerA.id);
  const companyB = await org('COMPANY', 'Beta S.p.A.', resellerB.id);
  const domain = (name: string, organizationId: string) =>
    db.domain.create({ data: { name: `${name}${suffix}`, kind: 'COMPANY', organizationId, verificationState: 'VERIFIED' } });
  const domainA = await domain('pec.alfa.test', companyA.id);
  const domainB = await domain('pec.beta.test', companyB.id);
  const mailbox = (domainId: string, domainName: string, organizationId: string, holderName: string) =>
    db.mailbox.create({
      data: {
        address: `info@${domainName}`,
        localPart: 'info',
        domainId,
        organizationId,
        holderType: 'LEGAL_PERSON',
        holderName,
        quotaBytes: 2n * 1024n * 1024n * 1024n,
        expiresAt: new Date(Date.now() + 365 * 86_400_000),
        passwordHash,
      },
    });
  const mailboxA = await mailbox(domainA.id, domainA.name, companyA.id, 'Alfa S.r.l.');
  const mailboxB = await mailbox(domainB.id, domainB.name, companyB.id, 'Beta S.p.A.');
  const user = async (email: string, role: UserRole, organizationId: string, mailboxId: string | null = null) => {
    const u = await db.user.create({
      data: { email: `${email}${suffix}`.toLowerCase(), displayName: email.split('@')[0], role, organizationId, mailboxId, passwordHash },
    });
    return { id: u.id, email: u.email, role: u.role };
  };
  return {
    providerId: provider.id,
    resellerA: resellerA.id,
    resellerB: resellerB.id,
    companyA: companyA.id,
    companyB: companyB.id,
    domainA: domainA.id,
    domainB: domainB.id,
    mailboxA: mailboxA.id,
    mailboxB: mailboxB.id,
    users: {
      provider: await user('gestore@test.it', 'PROVIDER_ADMIN', provider.id),
      resellerA: await user('rivenditore@alfa.test', 'RESELLER_ADMIN', resellerA.id),
      companyA: await user('admin@alfa.test', 'COMPANY_ADMIN', companyA.id),
      auditorA: await user('revisore@alfa.test', 'AUDITOR', resellerA.id),
      holderA: await user('titolare@alfa.test', 'MAILBOX_HOLDER', companyA.id, mailboxA.id),
      resellerB: await user('rivenditore@beta.test', 'RESELLER_ADMIN', resellerB.id),
      companyB: await user('admin@beta.test', 'COMPANY_ADMIN', companyB.id),
      holderB: await user('titolare@beta.test', 'MAILBOX_HOLDER', companyB.id, mailboxB.id),
    },
  };
}
