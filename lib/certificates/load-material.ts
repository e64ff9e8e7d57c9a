/** Signing material from files named on a command line: PEM certificate + key (+ chain), or PKCS#12. */
import { readFile } from 'node:fs/promises';
import { readPkcs12 } from './pkcs12';
import type { SigningMaterial } from './signing-certificate';

export interface MaterialFiles {
  cert?: string;
  key?: string;
  chain?: string;
  p12?: string;
  /** file holding the PKCS#12 password (first line), so it never shows in `ps` */
  passwordFile?: string;
}

export async function loadSigningMaterial(files: MaterialFiles): Promise<SigningMaterial> {
  if (files.p12) {
    if (files.cert || files.key) throw new Error('Give either --p12 or --cert/--key, not both');
    const password = files.passwordFile ? (await readFile(files.passwordFile, 'utf8')).split(/\r?\n/)[0] : '';
    return readPkcs12(await readFile(files.p12), password);
  }
  if (!files.cert || !files.key) throw new Error('Give --cert FILE and --key FILE (PEM), or --p12 FILE [--password-file FILE]');
  const [certText, keyPem, chainPem] = await Promise.all([
    readFile(files.cert, 'utf8'),
    readFile(files.key, 'utf8'),
    files.chain ? readFile(files.chain, 'utf8') : Promise.resolve(undefined),
  ]);
  return signingMaterialFromPem(certText, keyPem, chainPem, files.cert);
}

/**
 * Material from PEM texts (files or a portal upload). A certificate text holding the leaf followed
 * by intermediates is common: the first block is the leaf, the others join the chain.
 */
export function signingMaterialFromPem(certText: string, keyText: string, chainText?: string, source = 'certificate'): SigningMaterial {
  // text from a browser form arrives with CRLF line ends: stored as plain PEM
  const lf = (text: string): string => text.replace(/\r\n/g, '\n');
  const keyPem = lf(keyText);
  const chainPem = chainText === undefined ? undefined : lf(chainText);
  const blocks = lf(certText).match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g) ?? [];
  const leaf = blocks[0];
  if (!leaf) throw new Error(`${source}: no PEM certificate found`);
  const extra = blocks.slice(1).join('');
  const chain = [extra, chainPem ?? ''].filter(Boolean).join('');
  return { certPem: leaf.endsWith('\n') ? leaf : `${leaf}\n`, keyPem, chainPem: chain || undefined };
}
