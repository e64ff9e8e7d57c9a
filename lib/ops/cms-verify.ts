/**
 * Signature checks of a downloaded provider index with the openssl CLI (`openssl cms -verify`):
 * a detached signature (.p7s) over the LDIF, or an LDIF encapsulated in a signed .p7m (the form
 * the RFC describes, §4.5.6). The chain must lead to the given trust anchor.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
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
