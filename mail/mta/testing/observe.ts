/**
 * What end-to-end MTA tests look at: the messages in a provider's Maildir (inspected by the PEC
 * engine, each file once) and a condition awaited by polling.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspectMessage, type InspectReport } from '@/mail/pec';
import { maildirPath } from '../maildir';

export interface StoredMessage {
  file: string;
  raw: Buffer;
  r: InspectReport;
}

const inspected = new Map<string, StoredMessage>();

/** Messages delivered to `address` under `maildirRoot` (new/), oldest name first. */
export function readMaildir(maildirRoot: string, address: string): StoredMessage[] {
  const dir = path.join(maildirPath(maildirRoot, address), 'new');
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return names.map((name) => {
    const file = path.join(dir, name);
    let got = inspected.get(file);
    if (!got) {
      const raw = readFileSync(file);
      got = { file, raw, r: inspectMessage(raw) };
      inspected.set(file, got);
    }
    return got;
  });
}

/** Polls `fn` until it returns something truthy; fails naming `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Whether `openssl smime -verify` accepts the message with `caFile` as the only trust anchor. */
export function verifiesWithOpenssl(raw: Buffer, caFile: string): boolean {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pec-verify-'));
  try {
    const file = path.join(dir, 'message.eml');
    writeFileSync(file, raw);
    return (
      spawnSync('openssl', ['smime', '-verify', '-CAfile', caFile, '-in', file, '-out', '/dev/null'], {
        stdio: 'ignore',
      }).status === 0
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
