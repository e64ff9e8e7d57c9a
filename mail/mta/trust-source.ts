/**
 * What the MTA trusts, from both places it is kept:
 *  - the database (TrustedProvider…, filled by index:import and the portal), the enabled entries,
 *    plus our own record made from the signing certificates we publish (so our own bustas verify
 *    after a rotation);
 *  - the files PEC_TRUST_CA_FILE and PEC_PROVIDER_INDEX_FILE, when they exist (demo, tests and
 *    single-machine installs use them). A provider disabled in the database is dropped from the file
 *    index too (matched by DN).
 * Database entries come first, so their domain lookups win over the files.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Config } from '@/lib/config';
import type { PrismaClient } from '@/lib/db/client';
import { publishedSigningCertificates } from '@/lib/certificates/store';
import { trustedProviderIndex } from '@/lib/ops/provider-index-store';
import { createTrustStore, parseProviderLdif, ProviderIndex, type TrustStore } from '@/mail/pec';
import { pemCertificates, readCertificate } from '@/mail/pec/cms/certificate';
import type { ProviderRecord } from '@/mail/pec/provider-index';

export interface TrustSnapshot {
  trust: TrustStore;
  index: ProviderIndex;
  /** changes exactly when anchors or index entries change (reloads log only real changes) */
  digest: string;
  /** one line for the log: how many providers and anchors, from where */
  summary: string;
  /** The mail domains we serve (lower case): ours from the configuration and every verified domain. */
  ownDomains: ReadonlySet<string>;
}

/** The CA file and index file, those that exist. Unreadable or malformed content throws. */
function readTrustFiles(config: Config): { cas: Buffer[]; index: ProviderIndex | null; problems: string[] } {
  const { trustCaFile, providerIndexFile } = config.pki;
  const cas = existsSync(trustCaFile)
    ? pemCertificates(readFileSync(trustCaFile, 'utf8')).map((der) => readCertificate(der).der)
    : [];
  if (!existsSync(providerIndexFile)) return { cas, index: null, problems: [] };
  const parsed = parseProviderLdif(readFileSync(providerIndexFile));
  return { cas, index: parsed.index, problems: parsed.problems };
}

/** Our own entry: our name and service address, our domains, every certificate we publish. */
async function ownRecord(
  config: Config,
  db: PrismaClient,
  ownDomains: ReadonlySet<string>,
): Promise<ProviderRecord | null> {
  const certs = await publishedSigningCertificates(db);
  if (certs.length === 0) return null;
  const ders = certs.flatMap((c) => pemCertificates(c.certificatePem));
  return {
    dn: `providerName=${config.provider.name},o=postacert`,
    providerName: config.provider.name,
    providerUnit: null,
    certificates: ders,
    certificateHashes: ders.map((d) => readCertificate(d).sha1),
    mailReceipt: config.provider.serviceAddress.toLowerCase(),
    managedDomains: [...ownDomains],
    ldifLocationUrl: null,
    description: null,
  };
}

/** Our configured domain and the domains verified in the portal: the MTA serves them all. */
async function servedDomains(config: Config, db: PrismaClient): Promise<ReadonlySet<string>> {
  const verified = await db.domain.findMany({
    where: { verificationState: 'VERIFIED' },
    select: { name: true },
  });
  return new Set([config.provider.mailDomain, ...verified.map((d) => d.name)].map((d) => d.toLowerCase()));
}

function digestOf(trust: TrustStore, index: ProviderIndex, ownDomains: ReadonlySet<string>): string {
  const h = createHash('sha256');
  h.update(`d:${[...ownDomains].sort().join(',')}\n`);
  for (const a of trust.anchors.map((x) => x.sha1).sort()) h.update(`a:${a}\n`);
  for (const p of index.providers) {
    h.update(
      `p:${p.providerName}|${p.mailReceipt}|${p.managedDomains.join(',')}|${p.certificateHashes.join(',')}\n`,
    );
  }
  return h.digest('hex');
}

export async function loadTrustSnapshot(config: Config, db: PrismaClient): Promise<TrustSnapshot> {
  const files = readTrustFiles(config);
  const ownDomains = await servedDomains(config, db);
  const [{ index: fromDb, disabledDns }, own] = await Promise.all([
    trustedProviderIndex(db),
    ownRecord(config, db, ownDomains),
  ]);
  const fromFile = files.index
    ? files.index.providers.filter((p) => !disabledDns.has(p.dn.toLowerCase()))
    : [];
  const index = new ProviderIndex([...fromDb.providers, ...(own ? [own] : []), ...fromFile]);
  const trust = createTrustStore({ certificates: files.cas, index });
  return {
    trust,
    index,
    digest: digestOf(trust, index, ownDomains),
    ownDomains,
    summary:
      `${index.providers.length} providers (database ${fromDb.providers.length}${own ? ' + own record' : ''}, file ${fromFile.length}), ` +
      `${trust.anchors.length} trust anchors, serving ${[...ownDomains].join(', ')}`,
  };
}

/**
 * A ProviderIndex whose every lookup goes to the current snapshot: the reception point, router and
 * spool keep one object for the process, the reloader swaps what it answers from.
 */
export class LiveProviderIndex extends ProviderIndex {
  constructor(private readonly current: () => ProviderIndex) {
    super([]);
    // `providers` is a plain field of ProviderIndex: replaced by a getter onto the snapshot
    Object.defineProperty(this, 'providers', { get: () => this.current().providers, enumerable: true });
  }

  override byCertificateHash(hash: string): ProviderRecord | undefined {
    return this.current().byCertificateHash(hash);
  }

  override byDomain(domain: string): ProviderRecord | undefined {
    return this.current().byDomain(domain);
  }

  override certificates(): Buffer[] {
    return this.current().certificates();
  }

  override merge(other: ProviderIndex): ProviderIndex {
    return this.current().merge(other);
  }
}

/** A TrustStore reading anchors and index from the current snapshot at each use. */
export function liveTrustStore(current: () => TrustStore): TrustStore {
  return {
    get anchors() {
      return current().anchors;
    },
    get index() {
      return current().index;
    },
  };
}
