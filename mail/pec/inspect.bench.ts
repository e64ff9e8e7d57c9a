/**
 * Read-side benchmark (`npm run bench -- mail/pec/inspect.bench.ts`), one core:
 *  - inspectMessage on a small signed busta, messages/s, against the irreducible work measured
 *    now (SHA-256 of the signed bytes + one RSA-2048 signature verification);
 *  - inspectMessage on a 30 MB busta, ms, against a bare SHA-256 pass over the same bytes and
 *    against `openssl smime -verify -noverify` on the same file (process start included).
 */
import { execFileSync } from 'node:child_process';
import { createHash, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildBustaTrasporto } from './build/busta';
import { demoProviders, demoRecipients } from './build/demo';
import { messageBytes } from './build/types';
import { newPecMessageId } from './identifiers';
import { inspectMessage } from './inspect';
import { readMime } from './mime';
import { readFixtures } from './testing/inspect-fixtures';

function rate(seconds: number, fn: () => void): number {
  for (let i = 0; i < 3; i++) fn();
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now < start + seconds * 1000) {
    fn();
    n++;
    now = performance.now();
  }
  return n / ((now - start) / 1000);
}

function timeMs(fn: () => void, runs = 3): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

async function busta(originalSize: number): Promise<Buffer> {
  const fx = await readFixtures();
  const now = new Date();
  const head =
    'From: alice@pec.alfa.test\r\nTo: bob@pec.beta.test\r\nSubject: bench\r\nMessage-ID: <bench@client>\r\n\r\n';
  const body = Buffer.alloc(
    Math.max(0, originalSize - head.length),
    'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\r\n',
  );
  return messageBytes(
    await buildBustaTrasporto({
      ctx: { provider: demoProviders.alfa, signer: fx.alfa, now },
      original: Buffer.concat([Buffer.from(head), body]),
      sender: 'alice@pec.alfa.test',
      recipients: [demoRecipients[0]],
      identificativo: newPecMessageId(now, { domain: demoProviders.alfa.domain }),
    }),
  );
}

async function main(): Promise<void> {
  const small = await busta(8 * 1024);
  const cert = new X509Certificate((await readFixtures()).alfaCert.certPem);
  const signedBytes = readMime(small).root.parts[0].raw;
  const someSignature = Buffer.alloc(256, 1);
  const inspectRate = rate(3, () => inspectMessage(small));
  const baselineRate = rate(3, () => {
    createHash('sha256').update(signedBytes).digest();
    cryptoVerify('sha256', signedBytes.subarray(0, 200), cert.publicKey, someSignature);
  });
  console.log(`small busta (${(small.length / 1024).toFixed(1)} KB): inspect ${inspectRate.toFixed(0)} msg/s`);
  console.log(
    `  baseline sha256 + RSA verify: ${baselineRate.toFixed(0)} op/s, ratio inspect/baseline ${(inspectRate / baselineRate).toFixed(2)}`,
  );

  const big = await busta(30 * 1024 * 1024 - 8 * 1024);
  const dir = mkdtempSync(path.join(tmpdir(), 'inspect-bench-'));
  try {
    const file = path.join(dir, 'big.eml');
    writeFileSync(file, big);
    const inspectMs = timeMs(() => inspectMessage(big));
    const hashMs = timeMs(() => createHash('sha256').update(big).digest());
    const opensslMs = timeMs(
      () =>
        execFileSync('openssl', ['smime', '-verify', '-noverify', '-in', file, '-out', '/dev/null'], {
          stdio: 'ignore',
        }),
      2,
    );
    console.log(`30 MB busta (${(big.length / 1048576).toFixed(1)} MB): inspect ${inspectMs.toFixed(0)} ms`);
    console.log(
      `  baseline sha256 pass ${hashMs.toFixed(0)} ms (ratio ${(inspectMs / hashMs).toFixed(2)}), openssl smime -verify ${opensslMs.toFixed(0)} ms (ratio ${(inspectMs / opensslMs).toFixed(2)})`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
