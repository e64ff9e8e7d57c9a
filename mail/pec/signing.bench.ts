/**
 * Signing benchmark (`npm run bench -- mail/pec`): on one core,
 *  - busta di trasporto build + sign, messages/s, for a 10 KB and a 1 MB original;
 *  - our per-signature rate (CMS SignedData over a small entity, RSA-2048) against OpenSSL's raw
 *    RSA-2048 sign rate measured now on this machine (`openssl speed -seconds 3 rsa2048`);
 *  - peak RSS of a child process building a busta for a 30 MB original, against message size.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { buildBustaTrasporto } from './build/busta';
import type { BuildContext } from './build/types';
import { createSigner } from './smime-sign';
import { issueProviderCertificate } from './testing/test-pki';

const provider = { name: 'Alfa PEC S.p.A.', domain: 'pec.alfa.test' };
const recipients = [{ address: 'bob@pec.beta.test', tipo: 'certificato' as const }];

function context(): BuildContext {
  const cert = issueProviderCertificate({ providerName: provider.name, email: `posta-certificata@${provider.domain}` });
  return { provider, signer: createSigner(cert), now: new Date() };
}

/** A size-byte original, filled in place (no intermediate string as large as the message). */
function original(size: number): Buffer {
  const head = 'From: alice@pec.alfa.test\r\nTo: bob@pec.beta.test\r\nSubject: prova di firma\r\nMessage-ID: <bench@client>\r\n\r\n';
  const line = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor inc.\r\n';
  const buf = Buffer.allocUnsafe(size);
  const n = buf.write(head, 'latin1');
  buf.fill(line, n, 'latin1');
  // End on a whole line.
  buf.write('\r\n', size - 2, 'latin1');
  return buf;
}

/**
 * Runs fn repeatedly, one at a time, for about `seconds`; returns operations per second. A
 * signature is made in libuv's pool: one at a time, this is one core's rate plus the hop there.
 */
async function rate(seconds: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 3; i++) await fn();
  let n = 0;
  const start = performance.now();
  const until = start + seconds * 1000;
  let now = start;
  while (now < until) {
    await fn();
    n++;
    now = performance.now();
  }
  return n / ((now - start) / 1000);
}

function opensslRsaSignRate(): number {
  const out = execFileSync('openssl', ['speed', '-seconds', '3', 'rsa2048'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const lines = out.split('\n');
  const header = lines.find((l) => l.includes('sign/s'));
  const row = lines.find((l) => /^rsa\s+2048 bits/.test(l));
  if (!header || !row) throw new Error(`cannot parse openssl speed output:\n${out}`);
  // Columns after "rsa 2048 bits" line up with the header's column names.
  const names = header.trim().split(/\s+/);
  const values = row.replace(/^rsa\s+2048 bits\s+/, '').trim().split(/\s+/);
  return Number(values[names.indexOf('sign/s')]);
}

/** Child mode: build one busta for a size-byte original, stream it to /dev/null, report RSS. */
async function rssChild(size: number): Promise<void> {
  const ctx = context();
  global.gc?.();
  const runtime = process.memoryUsage().rss;
  const input = original(size);
  const baseline = process.resourceUsage().maxRSS * 1024;
  const busta = await buildBustaTrasporto({ ctx, original: input, sender: 'alice@pec.alfa.test', recipients, identificativo: 'opec1.bench@pec.alfa.test' });
  const out = createWriteStream('/dev/null');
  for (const c of busta.chunks) out.write(c);
  await new Promise<void>((resolve) => out.end(resolve));
  const peak = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(JSON.stringify({ runtime, baseline, peak, size: busta.size, inputSize: input.length }));
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--rss-child') return rssChild(Number(process.argv[3]));

  const ctx = context();
  const build = (input: Buffer) => () =>
    buildBustaTrasporto({ ctx, original: input, sender: 'alice@pec.alfa.test', recipients, identificativo: 'opec1.bench@pec.alfa.test' });
  const small = original(10 * 1024);
  const large = original(1024 * 1024);
  const rate10k = await rate(3, build(small));
  const rate1m = await rate(3, build(large));
  const entity = [Buffer.from('Content-Type: text/plain\r\n\r\nciao\r\n')];
  const ourSign = await rate(3, () => ctx.signer.signDetached(entity, ctx.now));
  const openssl = opensslRsaSignRate();

  const size = 30 * 1024 * 1024;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', __filename, '--rss-child', String(size)], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`RSS child failed: ${child.stderr}`);
  const rss = JSON.parse(child.stdout) as { runtime: number; baseline: number; peak: number; size: number; inputSize: number };

  const ratio = ourSign / openssl;
  const attributable = (rss.peak - rss.runtime) / rss.inputSize;
  console.log('PEC signing benchmark (RSA-2048, SHA-256, one core)');
  console.log(`  busta 10 KB original:          ${rate10k.toFixed(0)} messages/s`);
  console.log(`  busta 1 MB original:           ${rate1m.toFixed(1)} messages/s`);
  console.log(`  CMS signature (small entity):  ${ourSign.toFixed(0)} signatures/s`);
  console.log(`  openssl speed rsa2048 (sign):  ${openssl.toFixed(0)} signs/s   [baseline]`);
  console.log(`  ratio ours / openssl:          ${(ratio * 100).toFixed(1)}%  (target >= 50%) ${ratio >= 0.5 ? 'OK' : 'BELOW TARGET'}`);
  console.log(`  busta 10 KB vs openssl:        ${((rate10k / openssl) * 100).toFixed(1)}%`);
  console.log(`  30 MB busta, child process:    input ${mb(rss.inputSize)}, output ${mb(rss.size)}`);
  console.log(`    RSS of runtime (Node + tsx):  ${mb(rss.runtime)}`);
  console.log(`    max RSS with input in memory: ${mb(rss.baseline)}`);
  console.log(`    peak RSS after build+write:   ${mb(rss.peak)}`);
  console.log(
    `    peak above runtime:          ${mb(rss.peak - rss.runtime)} = ${attributable.toFixed(2)}x message size (target < 3x) ${attributable < 3 ? 'OK' : 'ABOVE TARGET'}`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
