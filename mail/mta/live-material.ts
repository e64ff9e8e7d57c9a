/**
 * The MTA's trust and signer, kept current without a restart. The portal and the scripts NOTIFY
 * `trusted_provider`, `certificate` (and `domain`, which changes our own record) through
 * lib/db/config-changes; this listens and reloads within a fraction of a second, and re-reads
 * everything periodically in case a notification was missed. A reload that fails (unreadable
 * certificate, key not matching, database down) keeps the material in use and logs why.
 */
import type { Config } from '@/lib/config';
import type { PrismaClient } from '@/lib/db/client';
import { onConfigChanged, type ConfigChangeSubscription } from '@/lib/db/config-changes';
import type { ProviderIndex, Signer, TrustStore } from '@/mail/pec';
import type { DomainSet } from './routing';
import { loadSignerSnapshot, type SignerSnapshot } from './signer-source';
import { LiveProviderIndex, liveTrustStore, loadTrustSnapshot, type TrustSnapshot } from './trust-source';

export interface LiveMaterialOptions {
  /** periodic re-read, default 60 s */
  reloadIntervalMs?: number;
  /** notifications arriving together cause one reload, default 200 ms */
  debounceMs?: number;
  /** database to LISTEN on (default: the process's) */
  databaseUrl?: string;
  /** wraps each new signer (metrics) */
  wrapSigner?: (signer: Signer) => Signer;
  log?: (level: 'info' | 'error', line: string) => void;
}

const trustEntities = new Set(['trusted_provider', 'certificate', 'domain', '*']);
const signerEntities = new Set(['certificate', '*']);

/** Serialises loads of one part and coalesces requests arriving while one runs. */
class Reloader {
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly load: () => Promise<void>,
    private readonly debounceMs: number,
  ) {}

  request(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.now();
    }, this.debounceMs);
    this.timer.unref?.();
  }

  /** Loads now (or right after the load in progress); resolves when done. */
  async now(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.load();
      } while (this.again);
    })().finally(() => (this.running = null));
    return this.running;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

export class LiveMtaMaterial {
  /** stable objects handed to the reception point, router, spool: they read the current snapshot */
  readonly trust: TrustStore;
  readonly index: ProviderIndex;
  /** The domains we serve, as of the current snapshot (portal changes apply on reload). */
  readonly ownDomains: DomainSet;
  /** the error of the last failed reload of each part, cleared by a successful one */
  readonly lastError: { trust?: string; signer?: string } = {};
  private trustSnapshot: TrustSnapshot;
  private signerSnapshot: SignerSnapshot;
  private readonly trustReloader: Reloader;
  private readonly signerReloader: Reloader;
  private subscription: ConfigChangeSubscription | undefined;
  private interval: NodeJS.Timeout | undefined;
  private readonly log: NonNullable<LiveMaterialOptions['log']>;

  private constructor(
    private readonly config: Config,
    private readonly db: PrismaClient,
    private readonly options: LiveMaterialOptions,
    first: { trust: TrustSnapshot; signer: SignerSnapshot },
  ) {
    this.trustSnapshot = first.trust;
    this.signerSnapshot = this.wrap(first.signer);
    this.trust = liveTrustStore(() => this.trustSnapshot.trust);
    this.index = new LiveProviderIndex(() => this.trustSnapshot.index);
    this.ownDomains = { has: (domain) => this.trustSnapshot.ownDomains.has(domain.toLowerCase()) };
    this.log =
      options.log ??
      ((level, line) => (level === 'error' ? console.error : console.log)(`[pec-mta] ${line}`));
    const debounce = options.debounceMs ?? 200;
    this.trustReloader = new Reloader(() => this.reloadTrust(), debounce);
    this.signerReloader = new Reloader(() => this.reloadSigner(), debounce);
  }

  /** Loads both parts (a failure here stops the start: there is nothing older to keep) and starts listening. */
  static async start(
    config: Config,
    db: PrismaClient,
    options: LiveMaterialOptions = {},
  ): Promise<LiveMtaMaterial> {
    const [trust, signer] = await Promise.all([
      loadTrustSnapshot(config, db),
      loadSignerSnapshot(config, db),
    ]);
    const live = new LiveMtaMaterial(config, db, options, { trust, signer });
    live.log('info', `trust: ${trust.summary}; signer: ${signer.sha1} from the ${signer.source}`);
    live.subscription = onConfigChanged(
      (change) => {
        if (trustEntities.has(change.entity)) live.trustReloader.request();
        if (signerEntities.has(change.entity)) live.signerReloader.request();
      },
      { url: options.databaseUrl, onError: (err) => live.log('error', `config change feed: ${err.message}`) },
    );
    live.interval = setInterval(() => void live.reload(), options.reloadIntervalMs ?? 60_000);
    live.interval.unref?.();
    // changes committed from now on are seen; a feed slow to connect only delays that (periodic re-read)
    const waiting = new Promise<void>((resolve) => setTimeout(resolve, 5000).unref?.());
    await Promise.race([live.subscription.ready, waiting]);
    return live;
  }

  get signer(): Signer {
    return this.signerSnapshot.signer;
  }

  /** which certificate signs, and from where */
  get signerInfo(): Omit<SignerSnapshot, 'signer'> {
    const { signer: _s, ...info } = this.signerSnapshot;
    return info;
  }

  get trustSummary(): string {
    return this.trustSnapshot.summary;
  }

  /** Re-reads both parts now (also what the periodic safety net does). */
  async reload(): Promise<void> {
    await Promise.all([this.trustReloader.now(), this.signerReloader.now()]);
  }

  private wrap(s: SignerSnapshot): SignerSnapshot {
    return this.options.wrapSigner ? { ...s, signer: this.options.wrapSigner(s.signer) } : s;
  }

  private async reloadTrust(): Promise<void> {
    try {
      const next = await loadTrustSnapshot(this.config, this.db);
      delete this.lastError.trust;
      if (next.digest === this.trustSnapshot.digest) return;
      this.trustSnapshot = next;
      this.log('info', `trust reloaded: ${next.summary}`);
    } catch (err) {
      this.lastError.trust = (err as Error).message;
      this.log(
        'error',
        `trust reload failed, keeping the previous trust (${this.trustSnapshot.summary}): ${(err as Error).message}`,
      );
    }
  }

  private async reloadSigner(): Promise<void> {
    try {
      const next = await loadSignerSnapshot(this.config, this.db);
      delete this.lastError.signer;
      if (next.sha1 === this.signerSnapshot.sha1 && next.source === this.signerSnapshot.source) return;
      const previous = this.signerSnapshot.sha1;
      this.signerSnapshot = this.wrap(next);
      this.log('info', `signer reloaded: ${next.sha1} from the ${next.source} (was ${previous})`);
    } catch (err) {
      this.lastError.signer = (err as Error).message;
      this.log(
        'error',
        `signer reload failed, still signing with ${this.signerSnapshot.sha1}: ${(err as Error).message}`,
      );
    }
  }

  async close(): Promise<void> {
    if (this.interval) clearInterval(this.interval);
    this.trustReloader.stop();
    this.signerReloader.stop();
    await this.subscription?.close();
  }
}
