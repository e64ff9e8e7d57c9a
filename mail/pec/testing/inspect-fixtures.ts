/**
 * Shared fixtures of the read-side tests: the demo exchange built and signed by the build side
 * (two providers under the per-process test CA) and the matching provider index, so the reader is
 * tested against what our own MTA will emit. Tests only.
 */
import { buildDemoExchange, demoProviders, type DemoSample } from '../build/demo';
import { messageBytes } from '../build/types';
import { formatProviderLdif } from '../provider-index';
import { createSigner, type Signer } from '../smime-sign';
import { issueProviderCertificate, testCa, type TestProviderCertificate } from './test-pki';

export interface ReadFixtures {
  alfaCert: TestProviderCertificate;
  betaCert: TestProviderCertificate;
  alfa: Signer;
  beta: Signer;
  /** Every demo message as bytes, by sample name. */
  messages: Map<string, Buffer>;
  samples: DemoSample[];
  /** Index LDIF listing both providers. */
  indexLdif: string;
  /** Root CA PEM (trust anchor). */
  caPem: string;
}

let cached: Promise<ReadFixtures> | undefined;

export function readFixtures(): Promise<ReadFixtures> {
  cached ??= buildReadFixtures();
  return cached;
}

async function buildReadFixtures(): Promise<ReadFixtures> {
  const alfaCert = issueProviderCertificate({
    providerName: demoProviders.alfa.name,
    email: `posta-certificata@${demoProviders.alfa.domain}`,
  });
  const betaCert = issueProviderCertificate({
    providerName: demoProviders.beta.name,
    email: `posta-certificata@${demoProviders.beta.domain}`,
    keyType: 'ecdsa',
  });
  const alfa = createSigner(alfaCert);
  const beta = createSigner(betaCert);
  const samples = await buildDemoExchange({ alfa, beta }, new Date());
  const messages = new Map(samples.map((s) => [s.name, messageBytes(s.message)]));
  const indexLdif = formatProviderLdif([
    {
      providerName: demoProviders.alfa.name,
      certificates: [alfaCert.certDer],
      mailReceipt: `posta-certificata@${demoProviders.alfa.domain}`,
      managedDomains: [demoProviders.alfa.domain],
      ldifLocationUrl: 'https://pec.alfa.test/igpec/alfa.ldif.p7m',
    },
    {
      providerName: demoProviders.beta.name,
      certificates: [betaCert.certPem],
      mailReceipt: `posta-certificata@${demoProviders.beta.domain}`,
      managedDomains: [demoProviders.beta.domain],
    },
  ]);
  return { alfaCert, betaCert, alfa, beta, messages, samples, indexLdif, caPem: testCa().rootPem };
}
