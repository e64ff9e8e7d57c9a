/**
 * `npm run index:export [-- --out FILE.ldif] [--location-url URL]`
 * Prints our own provider record as LDIF for publication: provider name, service address, our
 * verified domains, the active signing certificate and those still overlapping after a rotation.
 * Sign it for publication with `openssl cms -sign -binary -nodetach -outform DER` (spec §1.2).
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { getConfig } from '../lib/config';
import { getPrisma } from '../lib/db/client';
import { ensureDatabase } from '../lib/db/ensure-database';
import { runScript } from '../lib/ops/cli';
import { exportOwnProviderLdif } from '../lib/ops/provider-index-store';

runScript('index', async () => {
  const { values } = parseArgs({ options: { out: { type: 'string' }, 'location-url': { type: 'string' } } });
  const config = getConfig();
  // progress goes to stderr: stdout is the LDIF itself
  const db = await ensureDatabase(config, { seed: false, log: (t) => console.error(t) });
  try {
    const ldif = await exportOwnProviderLdif(getPrisma(), config, { ldifLocationUrl: values['location-url'] });
    if (values.out) {
      await writeFile(values.out, ldif);
      console.error(`[index] wrote ${values.out}`);
    } else process.stdout.write(ldif);
  } finally {
    await db.stop();
  }
});
