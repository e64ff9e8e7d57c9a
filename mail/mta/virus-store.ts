/**
 * Virus store (spec §2.2.4; DPR 68/2005 art. 12): infected messages caught at the access point or
 * the reception point, kept apart from every mailbox for 30 months. One folder per UTC month
 * (`YYYY-MM/`) so retention drops whole months, like the transmission-log partitions; in it, per
 * message, the bytes as received (`<id>.eml`) and what we knew about it (`<id>.json`).
 * Both are fsynced before the SMTP answer, so a message we refused or did not deliver is never lost.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { syncDirectory } from './dir-sync';

/** Retention of the store, in months (the law's minimum: shorter is refused). */
export const virusStoreRetentionMonths = 30;

export interface VirusFinding {
  /** access-point: a user's submission; reception-point: a busta from another provider. */
  stage: 'access-point' | 'reception-point';
  identificativo: string;
  originalMessageId?: string | null;
  sender: string;
  recipients: string[];
  /** Scanner finding (signature name). */
  virus: string;
  /** providerName of the provider that sent the busta (reception point). */
  counterpartProvider?: string | null;
  detectedAt: Date;
}

export interface StoredVirus extends Omit<VirusFinding, 'detectedAt'> {
  id: string;
  detectedAt: string;
  sizeBytes: number;
  sha256: string;
  /** Absolute path of the message bytes. */
  messageFile: string;
}

const monthOf = (d: Date) => `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
const monthFolder = /^(\d{4})-(\d{2})$/;

async function writeDurably(file: string, data: Buffer | string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const handle = await fs.open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, file);
}

export class VirusStore {
  constructor(readonly dir: string) {}

  /**
   * Keeps an infected message. The same transaction kept again (a busta retried after a crash)
   * is stored once: `stored` is false and nothing is written.
   */
  async keep(raw: Buffer, finding: VirusFinding): Promise<{ id: string; messageFile: string; stored: boolean }> {
    const id = createHash('sha256').update(`${finding.stage}\0${finding.identificativo}`).digest('hex').slice(0, 40);
    const folder = path.join(this.dir, monthOf(finding.detectedAt));
    const messageFile = path.join(folder, `${id}.eml`);
    const metadataFile = path.join(folder, `${id}.json`);
    if (await fs.stat(metadataFile).then(() => true, () => false)) return { id, messageFile, stored: false };
    await fs.mkdir(folder, { recursive: true, mode: 0o700 });
    const metadata: Omit<StoredVirus, 'messageFile'> = {
      ...finding,
      id,
      detectedAt: finding.detectedAt.toISOString(),
      sizeBytes: raw.length,
      sha256: createHash('sha256').update(raw).digest('hex'),
    };
    // The metadata file is the commit point: written after the message, it marks a complete record.
    await writeDurably(messageFile, raw);
    await writeDurably(metadataFile, `${JSON.stringify(metadata, null, 2)}\n`);
    await syncDirectory(folder);
    return { id, messageFile, stored: true };
  }

  /** Every complete record, oldest month first. */
  async list(): Promise<StoredVirus[]> {
    const months = (await fs.readdir(this.dir).catch(() => [] as string[])).filter((m) => monthFolder.test(m)).sort();
    const out: StoredVirus[] = [];
    for (const month of months) {
      const folder = path.join(this.dir, month);
      for (const name of (await fs.readdir(folder)).filter((n) => n.endsWith('.json')).sort()) {
        const meta = JSON.parse(await fs.readFile(path.join(folder, name), 'utf8')) as Omit<StoredVirus, 'messageFile'>;
        out.push({ ...meta, messageFile: path.join(folder, `${meta.id}.eml`) });
      }
    }
    return out;
  }

  /**
   * Removes whole months that ended more than `keepMonths` (≥ 30) before `now`; a dry run (the
   * default) only lists them.
   */
  async prune(options: { now?: Date; keepMonths?: number; apply?: boolean } = {}): Promise<{ cutoff: Date; months: string[]; applied: boolean }> {
    const now = options.now ?? new Date();
    const keepMonths = options.keepMonths ?? virusStoreRetentionMonths;
    if (!Number.isInteger(keepMonths) || keepMonths < virusStoreRetentionMonths) {
      throw new Error(`Refusing a retention of ${keepMonths} months: the virus store must be kept at least ${virusStoreRetentionMonths} months`);
    }
    const cutoff = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - keepMonths, 1));
    const months = (await fs.readdir(this.dir).catch(() => [] as string[])).filter((m) => {
      const match = monthFolder.exec(m);
      // a month goes only when all of it (up to the first day of the next) is older than the cutoff
      return match !== null && Date.UTC(Number(match[1]), Number(match[2]), 1) <= cutoff.getTime();
    });
    if (options.apply) for (const m of months) await fs.rm(path.join(this.dir, m), { recursive: true, force: true });
    return { cutoff, months: months.sort(), applied: options.apply === true };
  }
}
