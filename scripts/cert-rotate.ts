/**
 * `npm run cert:rotate -- --cert NEW.pem --key NEW-KEY.pem [--chain CHAIN.pem]` (or --p12 …)
 * Checks the new signing certificate and makes it the active one; the previous certificate stays
 * published in our provider-index record until it expires. Re-export and publish the index record
 * afterwards (`npm run index:export`).
 */
import { getConfig } from '../lib/config';
import { getPrisma } from '../lib/db/client';
import { rotateSigningCertificate } from '../lib/certificates';
import { openDatabase, progress, runScript } from '../lib/ops/cli';
import { readSigningMaterialArgs } from './lib/signing-material-args';

runScript('cert', async () => {
  const config = getConfig();
  const { material, label } = await readSigningMaterialArgs();
  const db = await openDatabase('cert', config);
  try {
    const { activated, retired } = await rotateSigningCertificate(getPrisma(), material, {
      serviceAddress: config.provider.serviceAddress,
      label,
    });
    progress('cert', `activated ${activated.sha1}, valid until ${activated.notAfter.toISOString()}`);
    if (retired) progress('cert', `${retired.sha1} retired from signing; published until ${retired.overlapUntil?.toISOString()}`);
    progress('cert', 'publish the new index record: npm run index:export');
  } finally {
    await db.stop();
  }
});
