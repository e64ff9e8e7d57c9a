/**
 * Where the shared PEC reference material (DTD, real provider samples) lives.
 * CI has ../shared beside the clone; a user's clone may not, so only the interop suite may skip.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

const repoRoot = path.resolve(__dirname, '..', '..');

/** PEC_SHARED_DIR, default ../shared/pec relative to the repository root. */
export const sharedPecDir = path.resolve(repoRoot, process.env.PEC_SHARED_DIR ?? '../shared/pec');
export const sharedSamplesDir = path.join(sharedPecDir, 'samples');
export const sharedPecAvailable = existsSync(path.join(sharedSamplesDir, 'README.md'));
