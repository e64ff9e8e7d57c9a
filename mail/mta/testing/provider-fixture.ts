/**
 * A complete test provider's identity on disk: its own CA, a signing certificate, the files the MTA
 * reads (lib/config `pki`), a provider index LDIF listing every provider of the test network, and
 * mailboxes in its database. Used by the MTA end-to-end tests and `npm run demo`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PrismaClient } from '@/lib/db/client';
import { hashPassword } from '@/lib/passwords';
import { formatProviderLdif } from '@/mail/pec';
import { createTestCa, issueProviderCertificate, type TestCa, type TestProviderCertificate } from '@/mail/pec/testing/test-pki';

export interface ProviderSpec {
  name: string;
  domain: string;
}

export interface ProviderPki {
  spec: ProviderSpec;
  ca: TestCa;
  cert: TestProviderCertificate;
  serviceAddress: string;
}

export interface ProviderPkiFiles {
  signingKeyFile: string;
  signingCertFile: string;
  trustCaFile: string;
  providerIndexFile: string;
}

export function issueProviderPki(spec: ProviderSpec, ca: TestCa = createTestCa(`${spec.name} Test CA`)): ProviderPki {
  const serviceAddress = `posta-certificata@${spec.domain}`;
  return { spec, ca, cert: issueProviderCertificate({ email: serviceAddress, providerName: spec.name, ca }), serviceAddress };
}

/** The index every provider of the test network shares (real providers download it daily). */
export function testNetworkLdif(all: ProviderPki[]): string {
  return formatProviderLdif(
    all.map((p) => ({
      providerName: p.spec.name,
      certificates: [p.cert.certDer],
      mailReceipt: p.serviceAddress,
      managedDomains: [p.spec.domain],
    })),
  );
}

/** Writes `own`'s key and certificate plus the network's CAs and index into `dir`. */
export function writeProviderPkiFiles(dir: string, own: ProviderPki, all: ProviderPki[]): ProviderPkiFiles {
  mkdirSync(dir, { recursive: true });
  const files: ProviderPkiFiles = {
    signingKeyFile: path.join(dir, 'signing-key.pem'),
    signingCertFile: path.join(dir, 'signing-cert.pem'),
    trustCaFile: path.join(dir, 'trusted-ca.pem'),
    providerIndexFile: path.join(dir, 'provider-index.ldif'),
  };
  writeFileSync(files.signingKeyFile, own.cert.keyPem, { mode: 0o600 });
  writeFileSync(files.signingCertFile, `${own.cert.certPem.trim()}\n${own.cert.chainPem.trim()}\n`);
  writeFileSync(files.trustCaFile, all.map((p) => p.ca.rootPem.trim()).join('\n') + '\n');
  writeFileSync(files.providerIndexFile, testNetworkLdif(all));
  return files;
}

/** Environment variables pointing lib/config at those files. */
export function pkiEnv(files: ProviderPkiFiles): Record<string, string> {
  return {
    PEC_SIGNING_KEY_FILE: files.signingKeyFile,
    PEC_SIGNING_CERT_FILE: files.signingCertFile,
    PEC_TRUST_CA_FILE: files.trustCaFile,
    PEC_PROVIDER_INDEX_FILE: files.providerIndexFile,
  };
}

export interface MailboxSpec {
  address: string;
  password: string;
  quotaBytes?: number;
  status?: 'ACTIVE' | 'SUSPENDED' | 'EXPIRED' | 'CEASED';
  ordinaryMail?: 'WRAP_IN_ANOMALIA' | 'REFUSE';
}

/** Creates the mailboxes (and their organization and domain when missing). */
export async function createMailboxes(prisma: PrismaClient, providerName: string, mailboxes: MailboxSpec[]): Promise<void> {
  for (const m of mailboxes) {
    const address = m.address.toLowerCase();
    const [localPart, domainName] = address.split('@');
    let domain = await prisma.domain.findUnique({ where: { name: domainName } });
    if (!domain) {
      const org =
        (await prisma.organization.findFirst({ where: { kind: 'PROVIDER' } })) ??
        (await prisma.organization.create({ data: { kind: 'PROVIDER', name: providerName } }));
      domain = await prisma.domain.create({
        data: { name: domainName, kind: 'PROVIDER_SHARED', organizationId: org.id, verificationState: 'VERIFIED', verifiedAt: new Date() },
      });
    }
    await prisma.mailbox.create({
      data: {
        address,
        localPart,
        domainId: domain.id,
        organizationId: domain.organizationId,
        holderType: 'NATURAL_PERSON',
        holderName: localPart,
        status: m.status ?? 'ACTIVE',
        quotaBytes: BigInt(m.quotaBytes ?? 1024 * 1024 * 1024),
        expiresAt: new Date(Date.now() + 365 * 24 * 3600_000),
        passwordHash: await hashPassword(m.password),
        ordinaryMailPolicy: m.ordinaryMail ?? 'WRAP_IN_ANOMALIA',
      },
    });
  }
}
