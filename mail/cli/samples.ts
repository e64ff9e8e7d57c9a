/**
 * `pec samples --out DIR`: writes one signed message of every kind and variant the engine builds,
 * for a fixed demo exchange (alice@pec.alfa.test → bob@pec.beta.test To, carol@pec.beta.test Cc,
 * dave@example.com ordinary mail), signed by certificates from a freshly generated test CA, plus
 * DIR/ca.pem to verify them with `openssl smime -verify -CAfile DIR/ca.pem -in FILE`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildDemoExchange, demoProviders } from '../pec/build/demo';
import { createSigner } from '../pec/smime-sign';
import { createTestCa, issueProviderCertificate } from '../pec/testing/test-pki';

const usage = 'usage: pec samples --out DIR';

export async function run(args: string[]): Promise<number> {
  let out: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--out' && args[i + 1]) out = args[++i];
    else if (args[i].startsWith('--out=')) out = args[i].slice('--out='.length);
    else {
      process.stderr.write(`${usage}\n`);
      return 2;
    }
  }
  if (!out) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  const dir = path.resolve(out);
  mkdirSync(dir, { recursive: true });
  const ca = createTestCa('PEC Samples CA');
  const signerOf = (p: { name: string; domain: string }) =>
    createSigner(issueProviderCertificate({ ca, providerName: p.name, email: `posta-certificata@${p.domain}` }));
  const samples = await buildDemoExchange({ alfa: signerOf(demoProviders.alfa), beta: signerOf(demoProviders.beta) });
  writeFileSync(path.join(dir, 'ca.pem'), ca.rootPem);
  const lines = [path.join(dir, 'ca.pem')];
  for (const s of samples) {
    const file = path.join(dir, `${s.name}.eml`);
    writeFileSync(file, Buffer.concat(s.message.chunks, s.message.size));
    lines.push(file);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
