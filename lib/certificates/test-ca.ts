/**
 * A private test CA and a provider signing certificate for demos and tests (never for production:
 * real signing certificates come from an accredited CA, spec §4.4). Files go under
 * `<dataDir>/pki/`; the CA is reused across runs so earlier certificates stay verifiable.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createTestCa, issueProviderCertificate, type TestCa } from '../../mail/pec/testing/test-pki';
import type { SigningMaterial } from './signing-certificate';

export interface TestPkiFiles {
  dir: string;
  caRoot: string;
  caIntermediate: string;
  signingCert: string;
  signingKey: string;
}

export function testPkiFiles(dataDir: string): TestPkiFiles {
  const dir = path.join(dataDir, 'pki');
  return {
    dir,
    caRoot: path.join(dir, 'test-ca-root.pem'),
    caIntermediate: path.join(dir, 'test-ca-intermediate.pem'),
    signingCert: path.join(dir, 'signing-cert.pem'),
    signingKey: path.join(dir, 'signing-key.pem'),
  };
}

const caKeyFile = (files: TestPkiFiles): string => path.join(files.dir, 'test-ca-intermediate-key.pem');

async function loadOrCreateCa(files: TestPkiFiles, name: string): Promise<{ ca: TestCa; created: boolean }> {
  if (existsSync(files.caRoot) && existsSync(files.caIntermediate) && existsSync(caKeyFile(files))) {
    const [rootPem, intermediatePem, intermediateKeyPem] = await Promise.all(
      [files.caRoot, files.caIntermediate, caKeyFile(files)].map((f) => readFile(f, 'utf8')),
    );
    return { ca: { name, rootPem, intermediatePem, intermediateKeyPem }, created: false };
  }
  const ca = createTestCa(name);
  await writeFile(files.caRoot, ca.rootPem);
  await writeFile(files.caIntermediate, ca.intermediatePem);
  await writeFile(caKeyFile(files), ca.intermediateKeyPem, { mode: 0o600 });
  return { ca, created: true };
}

/** Issues a new signing certificate for `serviceAddress` from the (new or existing) test CA and writes it. */
export async function createTestSigningCertificate(options: {
  dataDir: string;
  serviceAddress: string;
  providerName: string;
  validDays?: number;
}): Promise<{ material: SigningMaterial; files: TestPkiFiles; caCreated: boolean; caPem: string }> {
  const files = testPkiFiles(options.dataDir);
  await mkdir(files.dir, { recursive: true, mode: 0o700 });
  await chmod(files.dir, 0o700);
  const { ca, created } = await loadOrCreateCa(files, `${options.providerName} Test CA`);
  const now = Date.now();
  const issued = issueProviderCertificate({
    email: options.serviceAddress,
    providerName: options.providerName,
    ca,
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + (options.validDays ?? 3 * 365) * 86_400_000),
  });
  await writeFile(files.signingCert, issued.certPem);
  await writeFile(files.signingKey, issued.keyPem, { mode: 0o600 });
  await chmod(files.signingKey, 0o600);
  return {
    material: { certPem: issued.certPem, keyPem: issued.keyPem, chainPem: issued.chainPem },
    files,
    caCreated: created,
    caPem: ca.rootPem,
  };
}
