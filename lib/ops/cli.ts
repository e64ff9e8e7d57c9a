/**
 * Shared frame of the operational scripts: progress lines on stderr-free stdout, and one clear
 * message with a non-zero exit status on any failure (no stack trace for expected errors).
 */
import { ensureDatabase, type DatabaseHandle } from '../db/ensure-database';
import { getConfig, type Config } from '../config';

export function progress(tag: string, text: string): void {
  console.log(`[${tag}] ${text}`);
}

/** Runs `main`, exiting 1 with `[tag] error: message` when it throws. */
export function runScript(tag: string, main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`[${tag}] error: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}

/** The configured database, migrated but never seeded (operations must not create an admin). */
export async function openDatabase(tag: string, config: Config = getConfig()): Promise<DatabaseHandle> {
  return ensureDatabase(config, { seed: false, log: (t) => progress(tag, t.replace(/^\[db\] /, '')) });
}
