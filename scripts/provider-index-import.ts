/**
 * `npm run index:import -- FILE.ldif [--signature FILE.p7s --ca CA.pem]`
 * `npm run index:import -- FILE.ldif.p7m --ca CA.pem` (LDIF encapsulated in a signed CMS)
 * Imports (refreshes) the official provider index: every LDIF-sourced provider is replaced in one
 * transaction. When a signature is given it must verify against --ca, or nothing changes.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { getPrisma } from '../lib/db/client';
import { verifyAndExtract, verifyDetachedSignature } from '../lib/ops/cms-verify';
import { openDatabase, progress, runScript } from '../lib/ops/cli';
import { importProviderIndex } from '../lib/ops/provider-index-store';

runScript('index', async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { signature: { type: 'string' }, ca: { type: 'string' } },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new Error('Usage: index:import -- FILE.ldif [--signature FILE.p7s --ca CA.pem] | FILE.p7m --ca CA.pem');
  const raw = await readFile(file);
  const encapsulated = /\.p7m$/i.test(file) || raw[0] === 0x30;
  let ldif: Buffer;
  if (encapsulated) {
    if (!values.ca) throw new Error(`${file} is a signed CMS file: give --ca CA.pem to verify it`);
    ldif = await verifyAndExtract(file, values.ca);
    progress('index', `signature of ${file} verified, ${ldif.length} bytes of LDIF`);
  } else if (values.signature) {
    if (!values.ca) throw new Error('--signature needs --ca CA.pem (the trust anchor of the signer)');
    await verifyDetachedSignature(file, values.signature, values.ca);
    progress('index', `detached signature ${values.signature} verified`);
    ldif = raw;
  } else {
    progress('index', `warning: ${file} imported without signature verification`);
    ldif = raw;
  }
  const db = await openDatabase('index');
  try {
    const r = await importProviderIndex(getPrisma(), ldif, { onProgress: (t) => progress('index', t) });
    for (const p of r.problems) progress('index', `warning: ${p}`);
    progress('index', `imported ${r.providers} providers, ${r.domains} domains, ${r.certificates} certificates (replaced ${r.replaced})`);
  } finally {
    await db.stop();
  }
});
