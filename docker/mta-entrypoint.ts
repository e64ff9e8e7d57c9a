/**
 * The MTA container's main process: writes Haraka's runtime configuration from the environment
 * (as `npm start` does) and runs Haraka in the foreground, passing SIGINT/SIGTERM on as SIGINT
 * (Haraka's graceful stop). Migrations are the compose `migrate` job's business, not this one's.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ConfigError, getConfig } from '../lib/config';
import { prepareHarakaRuntime } from '../scripts/lib/haraka-runtime';

let config;
try {
  config = getConfig();
} catch (err) {
  console.error(`[mta] ${err instanceof ConfigError ? err.message : String(err)}`);
  process.exit(1);
}
if (!config.databaseUrl) {
  console.error('[mta] DATABASE_URL must be set in the container (the embedded PostgreSQL is for single-machine installs)');
  process.exit(1);
}
const runtimeDir = prepareHarakaRuntime(config);
const haraka = path.resolve(__dirname, '..', 'node_modules', 'Haraka', 'bin', 'haraka');
const child = spawn(process.execPath, [haraka, '-c', runtimeDir], { cwd: runtimeDir, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill('SIGINT'));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
