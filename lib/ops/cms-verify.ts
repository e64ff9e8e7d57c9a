/**
 * CMS signatures of provider-index files with the openssl CLI: checking a downloaded index (`openssl cms -verify`):
 * a detached signature (.p7s) over the LDIF, or an LDIF encapsulated in a signed .p7m (the form
 * the RFC describes, §4.5.6). The chain must lead to the given trust anchor.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export class SignatureCheckError extends Error {
  override name = 'SignatureCheckError';
}

function run(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { maxBuffer: 64 * 1024 * 1024 }, (err, _stdout, stderr) => {
      if (err) reject(new SignatureCheckError(`signature verification failed: ${stderr.trim().split('\n')[0] || err.message}`));
      else resolve();
    });
  });
}

const formatOf = (data: Buffer): 'DER' | 'PEM' => (data.toString('latin1', 0, 11) === '-----BEGIN ' ? 'PEM' : 'DER');

/** Throws SignatureCheckError unless `signatureFile` is a valid detached CMS signature of `contentFile`. */
export async function verifyDetachedSignature(contentFile: string, signatureFile: string, caFile: string): Promise<void> {
  const format = formatOf(await readFile(signatureFile));
  await run(['cms', '-verify', '-binary', '-inform', format, '-in', signatureFile, '-content', contentFile, '-CAfile', caFile, '-out', '/dev/null']);
}

/** Verifies an encapsulating signed CMS (.p7m) and returns the content it carries. */
export async function verifyAndExtract(p7mFile: string, caFile: string): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pec-cms-'));
  try {
    const out = path.join(dir, 'content');
    const format = formatOf(await readFile(p7mFile));
    await run(['cms', '-verify', '-binary', '-inform', format, '-in', p7mFile, '-CAfile', caFile, '-out', out]);
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Signs `content` into a detached DER signature (for tests and for publishing our own record). */
export async function signDetached(contentFile: string, signer: { cert: string; key: string; chain?: string }, outFile: string): Promise<void> {
  const chain = signer.chain ? ['-certfile', signer.chain] : [];
  await run(['cms', '-sign', '-binary', '-in', contentFile, '-signer', signer.cert, '-inkey', signer.key, ...chain, '-outform', 'DER', '-out', outFile]);
}

/**
 * Signs `content` with the given PEM material into an encapsulating DER CMS (.p7m), the form the
 * index expects for a provider's published record (spec §1.2). The key only touches a private
 * temporary file, removed afterwards.
 */
export async function signEncapsulated(content: Buffer, signer: { certPem: string; keyPem: string; chainPem?: string }): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pec-sign-'));
  try {
    const file = (name: string): string => path.join(dir, name);
    await writeFile(file('content'), content);
    await writeFile(file('cert.pem'), signer.certPem);
    await writeFile(file('key.pem'), signer.keyPem, { mode: 0o600 });
    const chain = signer.chainPem ? ['-certfile', file('chain.pem')] : [];
    if (signer.chainPem) await writeFile(file('chain.pem'), signer.chainPem);
    await run(['cms', '-sign', '-binary', '-nodetach', '-md', 'sha256', '-in', file('content'), '-signer', file('cert.pem'), '-inkey', file('key.pem'), ...chain, '-outform', 'DER', '-out', file('out.p7m')]);
    return await readFile(file('out.p7m'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
