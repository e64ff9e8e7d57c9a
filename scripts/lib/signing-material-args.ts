/**
 * The command line of cert:import and cert:rotate: the new signing certificate as PEM files
 * (--cert, --key, optional --chain) or one PKCS#12 bundle (--p12, --password-file), plus a --label.
 */
import { parseArgs } from 'node:util';
import { loadSigningMaterial } from '../../lib/certificates';

const options = {
  cert: { type: 'string' },
  key: { type: 'string' },
  chain: { type: 'string' },
  p12: { type: 'string' },
  'password-file': { type: 'string' },
  label: { type: 'string' },
} as const;

/** Reads the files the arguments name (before any database work: a wrong path fails first). */
export async function readSigningMaterialArgs(args: string[] = process.argv.slice(2)) {
  const { values } = parseArgs({ args, options });
  const material = await loadSigningMaterial({ ...values, passwordFile: values['password-file'] });
  return { material, label: values.label };
}
