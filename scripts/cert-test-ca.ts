/**
 * `npm run cert:test-ca`: a test CA and a provider signing certificate for the configured service
 * address, written under PEC_DATA_DIR/pki/ and stored as the active signing certificate (rotating
 * any previous one with overlap). Demos and tests only.
 */
import { getConfig } from '../lib/config';
import { getPrisma } from '../lib/db/client';
import { createTestSigningCertificate, importSigningCertificate, rotateSigningCertificate } from '../lib/certificates';
import { openDatabase, progress, runScript } from '../lib/ops/cli';

runScript('cert', async () => {
  const config = getConfig();
  const db = await openDatabase('cert', config);
  try {
    const { material, files, caCreated } = await createTestSigningCertificate({
      dataDir: config.dataDir,
      serviceAddress: config.provider.serviceAddress,
      providerName: config.provider.name,
    });
    progress('cert', `${caCreated ? 'created' : 'reused'} test CA ${files.caRoot}`);
    const prisma = getPrisma();
    const hasActive = (await prisma.providerCertificate.count({ where: { active: true } })) > 0;
    const options = { serviceAddress: config.provider.serviceAddress, label: 'test CA' };
    const stored = hasActive
      ? (await rotateSigningCertificate(prisma, material, options)).activated
      : await importSigningCertificate(prisma, material, options);
    progress('cert', `signing certificate ${stored.sha1} for ${config.provider.serviceAddress} (${files.signingCert}) is active${hasActive ? '; the previous one stays published until it expires' : ''}`);
  } finally {
    await db.stop();
  }
});
