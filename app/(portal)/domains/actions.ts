'use server';
import { defineAction, type FormState } from '@/lib/audit/server';
import { getConfig } from '@/lib/config';
import { dnsCheckDepsFromConfig, type DnsCheckDeps } from '@/lib/dns/domain-check';
import { addDomainSpec, updateDomainLimitSpec, verifyDomainSpec } from './specs';

let deps: DnsCheckDeps | undefined;
const dnsDeps = () => (deps ??= dnsCheckDepsFromConfig(getConfig()));

export const addDomain = defineAction(addDomainSpec, {
  success: (d) => ['domains.created', { name: d.name }],
  revalidate: ['/domains'],
});

const verifyDomainAction = defineAction(verifyDomainSpec(dnsDeps), {
  success: (r) => (r.verified ? ['domains.verified'] : ['domains.verifyFailed', { count: r.problems.length }]),
  revalidate: ['/domains'],
});

/** The check itself succeeded (and is recorded) even when records are missing: show that as an error toast. */
export async function verifyDomain(previous: unknown, form: FormData): Promise<FormState<{ verified: boolean }>> {
  const state = await verifyDomainAction(previous, form);
  return state.ok && state.data && !state.data.verified ? { ...state, ok: false } : state;
}

export const updateDomainLimit = defineAction(updateDomainLimitSpec, {
  success: 'domains.limitUpdated',
  revalidate: ['/domains'],
});
