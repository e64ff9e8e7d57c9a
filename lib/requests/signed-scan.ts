/**
 * The signed scan of a modulo: PDF, JPEG or PNG recognised by its first bytes (never by the name
 * or the browser's declared type), at most 10 MB, stored under <dataDir>/uploads/ by its SHA-256 so
 * the same file uploaded twice is kept once and a stored file is verifiable later.
 */
import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const maxScanBytes = 10 * 1024 * 1024;

export type ScanType = 'pdf' | 'jpg' | 'png';

export function detectScanType(bytes: Uint8Array): ScanType | undefined {
  const starts = (sig: number[]) => sig.every((b, i) => bytes[i] === b);
  if (starts([0x25, 0x50, 0x44, 0x46, 0x2d])) return 'pdf'; // %PDF-
  if (starts([0xff, 0xd8, 0xff])) return 'jpg';
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  return undefined;
}

export class ScanError extends Error {
  constructor(readonly messageKey: string) {
    super(messageKey);
    this.name = 'ScanError';
  }
}

export interface StoredScan {
  /** path relative to the data folder */
  relativePath: string;
  sha256: string;
  name: string;
  type: ScanType;
}

export async function storeSignedScan(dataDir: string, bytes: Uint8Array, originalName: string): Promise<StoredScan> {
  if (bytes.length === 0) throw new ScanError('requests.errors.scanEmpty');
  if (bytes.length > maxScanBytes) throw new ScanError('requests.errors.scanTooLarge');
  const type = detectScanType(bytes);
  if (!type) throw new ScanError('requests.errors.scanType');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const relativePath = path.join('uploads', `${sha256}.${type}`);
  const target = path.join(dataDir, relativePath);
  await mkdir(path.dirname(target), { recursive: true });
  // written aside then renamed: a reader never sees half a file
  const temp = `${target}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temp, bytes, { mode: 0o640 });
  await rename(temp, target);
  const name = path.basename(originalName || `modulo.${type}`).replace(/[^\p{L}\p{N} ._()-]/gu, '_').slice(0, 120);
  return { relativePath, sha256, name, type };
}
