/**
 * What the PEC MTA needs on disk before Haraka starts: the signing key and certificate, the trusted
 * CAs, the provider index and a TLS certificate for the access point. Existing files are always
 * reused, never overwritten; on a first start the missing ones are made (a DEMO signing certificate
 * from a private test CA, a self-signed TLS certificate, an index listing only ourselves) so a
 * fresh install works end to end before the real certificate is imported.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '@/lib/config';
import type { PrismaClient } from '@/lib/db/client';
import {
  activeSigningMaterial,
  createTestSigningCertificate,
  importSigningCertificate,
  testPkiFiles,
  type SigningMaterial,
} from '@/lib/certificates';
import { formatProviderLdif } from '@/mail/pec';

export interface MtaTlsFiles {
  keyFile: string;
  certFile: string;
}

const pemBlocks = (text: string): string[] =>
  text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];

function writeNew(file: string, content: string, mode = 0o644): void {
  mkdirSync(path.dirname(file), { recursive: true });
  // 'wx' fails rather than replace a file that appeared meanwhile: existing material is never lost.
  writeFileSync(file, content, { mode, flag: 'wx' });
}

/** Signing key + certificate files: kept, else written from the database's active certificate, else a DEMO one. */
async function ensureSigning(
  config: Config,
  prisma: PrismaClient,
  log: (line: string) => void,
  allowDemoCertificate: boolean,
): Promise<void> {
  const { signingKeyFile, signingCertFile } = config.pki;
  const haveKey = existsSync(signingKeyFile);
  const haveCert = existsSync(signingCertFile);
  if (haveKey && haveCert) {
    log(`signing certificate ${signingCertFile}`);
    return;
  }
  if (haveKey !== haveCert) {
    throw new Error(`${haveKey ? signingCertFile : signingKeyFile} is missing while ${haveKey ? signingKeyFile : signingCertFile} exists: restore it or remove both`);
  }
  let material: SigningMaterial | undefined = await activeSigningMaterial(prisma);
  if (material) {
    log(`signing certificate: writing the active one from the database to ${signingCertFile}`);
  } else if (!allowDemoCertificate) {
    // A production MTA must never sign legally binding receipts with a certificate nobody trusts.
    throw new Error(
      'no provider signing certificate: import it first with npm run cert:import -- --p12 BUNDLE.p12 [--password-file FILE]' +
        ' (or --cert C --key K --chain CH)',
    );
  } else {
    const made = await createTestSigningCertificate({
      dataDir: config.dataDir,
      serviceAddress: config.provider.serviceAddress,
      providerName: config.provider.name,
    });
    material = made.material;
    await importSigningCertificate(prisma, material, { serviceAddress: config.provider.serviceAddress, label: 'test CA (npm start)' });
    log(`DEMO signing certificate for ${config.provider.serviceAddress}, issued by a private test CA (${made.files.caRoot}):`);
    // The DEMO certificate is now the active one, so the real one replaces it by rotation.
    log('  other providers will NOT trust it. Install the real one: npm run cert:rotate -- --p12 BUNDLE.p12 [--password-file FILE]');
  }
  // The certificate file holds the signing certificate first, then its chain (mail/mta/provider-runtime).
  const certText = [material.certPem, material.chainPem ?? ''].map((p) => p.trim()).filter(Boolean).join('\n') + '\n';
  // createTestSigningCertificate may just have written the default files (certificate without chain).
  mkdirSync(path.dirname(signingCertFile), { recursive: true });
  mkdirSync(path.dirname(signingKeyFile), { recursive: true });
  writeFileSync(signingCertFile, certText);
  writeFileSync(signingKeyFile, material.keyPem, { mode: 0o600 });
}

/** Trust anchors: kept, else the test CA's root when we run on the test CA. */
function ensureTrust(config: Config, log: (line: string) => void): void {
  const { trustCaFile } = config.pki;
  if (existsSync(trustCaFile)) return;
  const testRoot = testPkiFiles(config.dataDir).caRoot;
  if (!existsSync(testRoot)) {
    throw new Error(`${trustCaFile} is missing: put the CA certificates of the PEC network there (PEC_TRUST_CA_FILE)`);
  }
  writeNew(trustCaFile, readFileSync(testRoot, 'utf8'));
  log(`trusted CAs: the test CA only (${trustCaFile})`);
}

/** Provider index: kept, else one listing ourselves, so our own domain is certified and our signature trusted. */
function ensureProviderIndex(config: Config, log: (line: string) => void): void {
  const { providerIndexFile, signingCertFile } = config.pki;
  if (existsSync(providerIndexFile)) return;
  const [ownCert] = pemBlocks(readFileSync(signingCertFile, 'utf8'));
  writeNew(
    providerIndexFile,
    formatProviderLdif({
      providerName: config.provider.name,
      certificates: [ownCert],
      mailReceipt: config.provider.serviceAddress,
      managedDomains: [config.provider.mailDomain],
    }),
  );
  log(`provider index with ourselves only (${providerIndexFile}); import the real one with npm run index:import`);
}

/** Self-signed TLS certificate for the access point (465/587), made once under <dataDir>/tls/. */
function ensureTls(config: Config, log: (line: string) => void): MtaTlsFiles {
  const dir = path.join(config.dataDir, 'tls');
  const files = { keyFile: path.join(dir, 'key.pem'), certFile: path.join(dir, 'cert.pem') };
  if (existsSync(files.keyFile) && existsSync(files.certFile)) return files;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const host = config.provider.mailDomain;
  const r = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '825', '-subj', `/CN=${host}`,
      '-addext', `subjectAltName=DNS:${host},IP:127.0.0.1`,
      '-keyout', files.keyFile, '-out', files.certFile],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl could not make the TLS certificate: ${r.stderr || r.error?.message}`);
  log(`self-signed TLS certificate for ${host} (${files.certFile}); replace both files with a real one`);
  return files;
}

export interface MtaMaterialOptions {
  /** Single-machine installs (npm start) may start on a DEMO certificate; production may not. */
  allowDemoCertificate?: boolean;
  /** TLS certificate provided by the operator (e.g. certbot); otherwise a self-signed one is made. */
  tls?: MtaTlsFiles;
}

/** Makes sure all MTA material exists and returns the TLS files for the Haraka runtime config. */
export async function ensureMtaMaterial(
  config: Config,
  prisma: PrismaClient,
  log: (line: string) => void,
  { allowDemoCertificate = true, tls }: MtaMaterialOptions = {},
): Promise<MtaTlsFiles> {
  await ensureSigning(config, prisma, log, allowDemoCertificate);
  ensureTrust(config, log);
  ensureProviderIndex(config, log);
  return tls ?? ensureTls(config, log);
}
