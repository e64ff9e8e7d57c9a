/**
 * Checks a domain's published records against what recordsToPublish() asked for. Returns the
 * problems found (empty: the domain is good); each problem has a stable code (translated in the
 * portal) and the detail seen in DNS.
 */
import { spfRecordFor, verificationLabel, verificationPrefix } from './records';
import type { DnsLookup } from './resolver';

export type DnsProblemCode =
  | 'verification_missing'
  | 'mx_missing'
  | 'mx_wrong'
  | 'spf_missing'
  | 'spf_without_mx'
  | 'dns_error';

export interface DnsProblem {
  code: DnsProblemCode;
  /** what was found, e.g. the MX hosts present */
  detail?: string;
}

// answers meaning "no such record", as opposed to a resolver failure
const absentCodes = new Set(['ENODATA', 'ENOTFOUND', 'NXDOMAIN']);

async function lookup<T>(run: () => Promise<T[]>): Promise<{ records: T[]; error?: string }> {
  try {
    return { records: await run() };
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'ERROR';
    return absentCodes.has(code) ? { records: [] } : { records: [], error: code };
  }
}

function sameHost(a: string, b: string): boolean {
  return a.replace(/\.$/, '').toLowerCase() === b.replace(/\.$/, '').toLowerCase();
}

export async function checkDomainDns(
  resolver: DnsLookup,
  domain: string,
  expected: { token: string; mxHostname: string },
): Promise<DnsProblem[]> {
  const [mx, txt, verifyTxt] = await Promise.all([
    lookup(() => resolver.resolveMx(domain)),
    lookup(() => resolver.resolveTxt(domain)),
    lookup(() => resolver.resolveTxt(`${verificationLabel}.${domain}`)),
  ]);
  const problems: DnsProblem[] = [];
  for (const error of [mx.error, txt.error, verifyTxt.error]) {
    if (error && !problems.some((p) => p.detail === error)) problems.push({ code: 'dns_error', detail: error });
  }
  // a TXT record may arrive split in 255-byte chunks: join them before comparing
  const texts = txt.records.map((chunks) => chunks.join(''));
  const tokenRecord = `${verificationPrefix}${expected.token}`;
  const verifyTexts = verifyTxt.records.map((chunks) => chunks.join(''));
  if (![...texts, ...verifyTexts].some((t) => t.trim() === tokenRecord)) {
    problems.push({ code: 'verification_missing' });
  }
  if (mx.records.length === 0) {
    if (!mx.error) problems.push({ code: 'mx_missing' });
  } else if (!mx.records.some((r) => sameHost(r.exchange, expected.mxHostname))) {
    problems.push({ code: 'mx_wrong', detail: mx.records.map((r) => r.exchange).join(', ') });
  }
  const spf = texts.filter((t) => /^v=spf1(\s|$)/i.test(t.trim()));
  if (spf.length === 0) {
    if (!txt.error) problems.push({ code: 'spf_missing' });
  } else {
    // our MX must be allowed: by the `mx` mechanism (MX points to us) or by naming our host
    const allows = spf.some((t) => {
      const terms = t.toLowerCase().split(/\s+/);
      return terms.some((term) => /^[+]?mx$/.test(term) || term.replace(/^[+]/, '') === `a:${expected.mxHostname.toLowerCase()}`);
    });
    if (!allows) problems.push({ code: 'spf_without_mx', detail: `${spf.join(' | ')} (${spfRecordFor(expected.mxHostname)})` });
  }
  return problems;
}
