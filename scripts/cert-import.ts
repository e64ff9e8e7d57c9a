/**
 * `npm run cert:import -- --cert CERT.pem --key KEY.pem [--chain CHAIN.pem]`
 * `npm run cert:import -- --p12 BUNDLE.p12 [--password-file FILE]`
 * Checks the provider signing certificate (key matches, e-mail = service address, valid now, not a
 * CA, digitalSignature) and stores it as the active one. Refuses when one is already active
 * (use cert:rotate).
 */
import { parseArgs } from 'node:util';
import { getConfig } from '../lib/config';
import { getPrisma } from '../lib/db/client';
import { importSigningCertificate, loadSigningMaterial } from '../lib/certificates';
import { openDatabase, progress, runScript } from '../lib/ops/cli';

const materialOptions = {
  cert: { type: 'string' },
  key: { type: 'string' },
  chain: { type: 'string' },
  p12: { type: 'string' },
  'password-file': { type: 'string' },
  label: { type: 'string' },
} as const;

runScript('cert', async () => {
  const { values } = parseArgs({ options: materialOptions });
  const config = getConfig();
  const material = await loadSigningMaterial({ ...values, passwordFile: values['password-file'] });
  const db = await openDatabase('cert', config);
  try {
    const stored = await importSigningCertificate(getPrisma(), material, {
      serviceAddress: config.provider.serviceAddress,
      label: values.label,
    });
    progress('cert', `imported and activated ${stored.sha1} (${stored.subject}), valid until ${stored.notAfter.toISOString()}`);
  } finally {
    await db.stop();
  }
});
