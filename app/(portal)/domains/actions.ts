'use server';
import { defineAction } from '@/lib/audit/server';
import { getConfig } from '@/lib/config';
import { dnsCheckDepsFromConfig, type DnsCheckDeps } from '@/lib/dns/domain-check';
import { addDomainSpec, updateDomainLimitSpec, verifyDomainSpec } from './specs';

let deps: DnsCheckDeps | undefined;
const dnsDeps = () => (deps ??= dnsCheckDepsFromConfig(getConfig()));

export const addDomain = defineAction(addDomainSpec, {
  success: (d) => ['domains.created', { name: d.name }],
  revalidate: ['/domains'],
});

export const verifyDomain = defineAction(verifyDomainSpec(dnsDeps), {
  success: (r) => (r.verified ? ['domains.verified'] : ['domains.verifyFailed', { count: r.problems.length }]),
  revalidate: ['/domains'],
});

export const updateDomainLimit = defineAction(updateDomainLimitSpec, {
  success: 'domains.limitUpdated',
  revalidate: ['/domains'],
});
