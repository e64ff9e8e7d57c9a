/**
 * Next-hop choice for outbound mail (bustas, receipts to other providers, mail to external addresses).
 *
 * Order: the static route table (tests, private networks), then our own PEC domains, which go to our
 * own reception point like anyone else's mail, then DNS MX (RFC 5321 §5.1: no MX → the domain itself).
 * Whether a domain is certified (PEC) comes from the provider index; the index holds no host names,
 * so a certified domain is still reached through its MX.
 */
import { promises as dns } from 'node:dns';

export interface RelayTarget {
  host: string;
  port: number;
}

export interface MxRecord {
  exchange: string;
  priority: number;
}

/** Injected so tests and private deployments need no real DNS. */
export type MxResolver = (domain: string) => Promise<MxRecord[]>;

export interface Route {
  domain: string;
  /** Listed in some provider's `managedDomains`: recipient is `certificato`, otherwise `esterno`. */
  certified: boolean;
  /** Hosts to try in order. */
  targets: RelayTarget[];
  source: 'static' | 'own-domain' | 'mx' | 'implicit-mx';
}

export class NoRouteError extends Error {
  constructor(
    readonly domain: string,
    reason: string,
  ) {
    super(`no route to ${domain}: ${reason}`);
    this.name = 'NoRouteError';
  }
}

/** A set of mail domains that may change while we run (the domains verified in the portal). */
export interface DomainSet {
  /** `domain` in lower case. */
  has(domain: string): boolean;
}

/** A fixed list as a DomainSet; a live set is used as it is. */
export function domainSet(domains: readonly string[] | DomainSet | undefined): DomainSet {
  if (domains && !Array.isArray(domains)) return domains as DomainSet;
  return new Set(((domains as readonly string[] | undefined) ?? []).map((d) => d.toLowerCase()));
}

export interface RouterOptions {
  staticRoutes?: Record<string, RelayTarget>;
  /** Our own managed domains and where our reception point listens. */
  ownDomains?: readonly string[] | DomainSet;
  ownInbound?: RelayTarget;
  /** Provider index lookup (managedDomains, case-insensitive). */
  isCertifiedDomain?: (domain: string) => boolean;
  resolveMx?: MxResolver;
  /** Port used for MX hosts (25 in production). */
  smtpPort?: number;
}

const defaultResolveMx: MxResolver = (domain) => dns.resolveMx(domain);

export class Router {
  private readonly staticRoutes: Map<string, RelayTarget>;
  private readonly ownDomains: DomainSet;

  constructor(private readonly options: RouterOptions = {}) {
    this.staticRoutes = new Map(
      Object.entries(options.staticRoutes ?? {}).map(([d, t]) => [d.toLowerCase(), t]),
    );
    this.ownDomains = domainSet(options.ownDomains);
  }

  isCertified(domain: string): boolean {
    const d = domain.toLowerCase();
    return this.ownDomains.has(d) || (this.options.isCertifiedDomain?.(d) ?? false);
  }

  async route(domainOrAddress: string): Promise<Route> {
    const domain = domainOrAddress.slice(domainOrAddress.lastIndexOf('@') + 1).toLowerCase();
    const certified = this.isCertified(domain);
    // Our own domains first: their mail never leaves this provider (the spool hands it to our
    // reception point in-process), whatever the static table says.
    if (this.ownDomains.has(domain) && this.options.ownInbound) {
      return { domain, certified, targets: [this.options.ownInbound], source: 'own-domain' };
    }
    const fixed = this.staticRoutes.get(domain);
    if (fixed) return { domain, certified, targets: [fixed], source: 'static' };
    const port = this.options.smtpPort ?? 25;
    let records: MxRecord[];
    try {
      records = await (this.options.resolveMx ?? defaultResolveMx)(domain);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // No MX record at all (as opposed to a DNS failure): fall back to the domain's own address.
      if (code === 'ENODATA' || code === 'ENOTFOUND') {
        if (code === 'ENOTFOUND') throw new NoRouteError(domain, 'domain does not exist');
        return { domain, certified, targets: [{ host: domain, port }], source: 'implicit-mx' };
      }
      throw new NoRouteError(domain, `DNS lookup failed (${code ?? (err as Error).message})`);
    }
    // RFC 7505 null MX: the domain accepts no mail.
    if (records.length === 1 && (records[0].exchange === '' || records[0].exchange === '.')) {
      throw new NoRouteError(domain, 'null MX, domain accepts no mail');
    }
    if (records.length === 0)
      return { domain, certified, targets: [{ host: domain, port }], source: 'implicit-mx' };
    const targets = [...records]
      .sort((a, b) => a.priority - b.priority)
      .map((r) => ({ host: r.exchange.replace(/\.$/, ''), port }));
    return { domain, certified, targets, source: 'mx' };
  }
}
