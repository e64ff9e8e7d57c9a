/**
 * The MTA container's main process: makes sure the MTA material is there (signing certificate from the
 * database — never a DEMO one in production —, trust anchors, provider index, the operator's TLS
 * certificate), writes Haraka's runtime configuration with the PEC plugins (as `npm start` does) and
 * runs Haraka in the foreground, passing SIGINT/SIGTERM on as SIGINT (Haraka's graceful stop).
 * Migrations are the compose `migrate` job's business, not this one's.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, getConfig, type Config } from '../lib/config';
import { createPrisma } from '../lib/db/client';
import { prepareHarakaRuntime } from '../scripts/lib/haraka-runtime';
import { ensureMtaMaterial, type MtaTlsFiles } from '../scripts/lib/mta-material';

/** Where compose mounts TLS_DIR (certbot's fullchain.pem / privkey.pem). */
const operatorTls: MtaTlsFiles = { certFile: '/etc/pec/tls/fullchain.pem', keyFile: '/etc/pec/tls/privkey.pem' };

function fail(message: string): never {
  console.error(`[mta] ${message}`);
  process.exit(1);
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = getConfig();
  } catch (err) {
    fail(err instanceof ConfigError ? err.message : String(err));
  }
  if (!config.databaseUrl) {
    fail('DATABASE_URL must be set in the container (the embedded PostgreSQL is for single-machine installs)');
  }
  const prisma = createPrisma(config.databaseUrl);
  const tls = existsSync(operatorTls.certFile) && existsSync(operatorTls.keyFile) ? operatorTls : undefined;
  try {
    const tlsFiles = await ensureMtaMaterial(config, prisma, (line) => console.log(`[mta] ${line}`), {
      allowDemoCertificate: false,
      tls,
    });
    const runtimeDir = prepareHarakaRuntime(config, { tls: tlsFiles });
    const haraka = path.resolve(__dirname, '..', 'node_modules', 'Haraka', 'bin', 'haraka');
    const child = spawn(process.execPath, [haraka, '-c', runtimeDir], { cwd: runtimeDir, stdio: 'inherit' });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill('SIGINT'));
    child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  } finally {
    await prisma.$disconnect();
  }
}

void main();
