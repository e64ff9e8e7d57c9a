/**
 * Who may read /metrics: a scraper on the same host (loopback), or anyone presenting the
 * METRICS_TOKEN bearer token. A route handler cannot see the socket; Next fills X-Forwarded-For
 * with the peer address when the request has none, and a reverse proxy appends the address it
 * saw, so the request is local only when every hop in that chain is a loopback address.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export type MetricsAccess = 'loopback' | 'token' | 'denied';

function isLoopback(address: string): boolean {
  const a = address.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return a === '::1' || /^127\.\d+\.\d+\.\d+$/.test(a) || /^::ffff:127\.\d+\.\d+\.\d+$/.test(a);
}

function sameSecret(given: string, expected: string): boolean {
  // hash both so the comparison takes the same time whatever the lengths
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export function metricsAccess(headers: { get(name: string): string | null }, token: string | undefined): MetricsAccess {
  const authorization = headers.get('authorization');
  const bearer = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] : undefined;
  if (token && bearer && sameSecret(bearer, token)) return 'token';
  const chain = (headers.get('x-forwarded-for') ?? '').split(',').filter((hop) => hop.trim() !== '');
  if (chain.length > 0 && chain.every(isLoopback) && isLoopback(headers.get('x-real-ip') ?? '127.0.0.1')) return 'loopback';
  return 'denied';
}
