/**
 * The resolver used for domain verification: node:dns pointed at the configured servers
 * (PEC_DNS_SERVERS), so verification asks the same public resolvers every time — and tests a
 * local server — instead of whatever the host's /etc/resolv.conf says.
 */
import { Resolver } from 'node:dns/promises';

export interface DnsLookup {
  resolveMx(name: string): Promise<{ exchange: string; priority: number }[]>;
  resolveTxt(name: string): Promise<string[][]>;
}

export function createDnsResolver(servers: readonly string[], options: { timeoutMs?: number; tries?: number } = {}): DnsLookup {
  const resolver = new Resolver({ timeout: options.timeoutMs ?? 3000, tries: options.tries ?? 2 });
  if (servers.length > 0) resolver.setServers([...servers]);
  return resolver;
}
