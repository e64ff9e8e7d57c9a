/**
 * `npm run cert:rotate -- --cert NEW.pem --key NEW-KEY.pem [--chain CHAIN.pem]` (or --p12 …)
 * Checks the new signing certificate and makes it the active one; the previous certificate stays
 * published in our provider-index record until it expires. Re-export and publish the index record
 * afterwards (`npm run index:export`).
 */
import { parseArgs } from 'node:util';
import { getConfig } from '../lib/config';
import { getPrisma } from '../lib/db/client';
import { loadSigningMaterial, rotateSigningCertificate } from '../lib/certificates';
import { openDatabase, progress, runScript } from '../lib/ops/cli';

runScript('cert', async () => {
  const { values } = parseArgs({
    options: {
      cert: { type: 'string' },
      key: { type: 'string' },
      chain: { type: 'string' },
      p12: { type: 'string' },
      'password-file': { type: 'string' },
      label: { type: 'string' },
    },
  });
  const config = getConfig();
  const material = await loadSigningMaterial({ ...values, passwordFile: values['password-file'] });
  const db = await openDatabase('cert', config);
  try {
    const { activated, retired } = await rotateSigningCertificate(getPrisma(), material, {
      serviceAddress: config.provider.serviceAddress,
      label: values.label,
    });
    progress('cert', `activated ${activated.sha1}, valid until ${activated.notAfter.toISOString()}`);
    if (retired) progress('cert', `${retired.sha1} retired from signing; published until ${retired.overlapUntil?.toISOString()}`);
    progress('cert', 'publish the new index record: npm run index:export');
  } finally {
    await db.stop();
  }
});
