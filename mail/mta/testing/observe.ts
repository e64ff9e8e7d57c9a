/**
 * What end-to-end MTA tests look at: the messages in a provider's Maildir (inspected by the PEC
 * engine, each file once) and a condition awaited by polling.
 */
import { readdirSync, readFileSync } from 'node:fs';
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
