/**
 * `npm run cert:import -- --cert CERT.pem --key KEY.pem [--chain CHAIN.pem]`
 * `npm run cert:import -- --p12 BUNDLE.p12 [--password-file FILE]`
 * Checks the provider signing certificate (key matches, e-mail = service address, valid now, not a
 * CA, digitalSignature) and stores it as the active one. Refuses when one is already active
 * (use cert:rotate).
 */
import { getConfig } from '../lib/config';
import { getPrisma } from '../lib/db/client';
import { importSigningCertificate } from '../lib/certificates';
import { openDatabase, progress, runScript } from '../lib/ops/cli';
import { readSigningMaterialArgs } from './lib/signing-material-args';

runScript('cert', async () => {
  const config = getConfig();
  const { material, label } = await readSigningMaterialArgs();
  const db = await openDatabase('cert', config);
  try {
    const stored = await importSigningCertificate(getPrisma(), material, {
      serviceAddress: config.provider.serviceAddress,
      label,
    });
    progress('cert', `imported and activated ${stored.sha1} (${stored.subject}), valid until ${stored.notAfter.toISOString()}`);
  } finally {
    await db.stop();
  }
});
