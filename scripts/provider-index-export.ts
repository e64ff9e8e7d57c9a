/**
 * `npm run index:export [-- --out FILE.ldif] [--p7m FILE.ldif.p7m] [--location-url URL]`
 * Prints our own provider record as LDIF for publication: provider name, service address, our
 * verified domains, the active signing certificate and those still overlapping after a rotation.
 * --p7m also writes it signed with the active signing certificate (DER CMS encapsulating the LDIF),
 * the file served at LDIFLocationURL (spec §1.2).
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { getConfig } from '../lib/config';
import { getPrisma } from '../lib/db/client';
import { ensureDatabase } from '../lib/db/ensure-database';
import { activeSigningMaterial } from '../lib/certificates';
import { signEncapsulated } from '../lib/ops/cms-verify';
import { runScript } from '../lib/ops/cli';
import { exportOwnProviderLdif } from '../lib/ops/provider-index-store';

runScript('index', async () => {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, p7m: { type: 'string' }, 'location-url': { type: 'string' } },
  });
  const config = getConfig();
  // progress goes to stderr: stdout is the LDIF itself
  const db = await ensureDatabase(config, { seed: false, log: (t) => console.error(t) });
  try {
    const ldif = await exportOwnProviderLdif(getPrisma(), config, { ldifLocationUrl: values['location-url'] });
    if (values.out) {
      await writeFile(values.out, ldif);
      console.error(`[index] wrote ${values.out}`);
    } else if (!values.p7m) process.stdout.write(ldif);
    if (values.p7m) {
      const signer = await activeSigningMaterial(getPrisma());
      if (!signer) throw new Error('No active signing certificate to sign the record with');
      await writeFile(values.p7m, await signEncapsulated(Buffer.from(ldif, 'utf8'), signer));
      console.error(`[index] wrote ${values.p7m} (signed with the active certificate)`);
    }
  } finally {
    await db.stop();
  }
});
