'use server';
import { defineAction } from '@/lib/audit/server';
import { addProviderSpec, editProviderSpec, importIndexSpec, setProviderDisabledSpec } from './specs';

export const addProvider = defineAction(addProviderSpec, {
  success: (p) => ['providers.added', { name: p.providerName }],
  revalidate: ['/providers'],
});

export const editProvider = defineAction(editProviderSpec, { success: 'providers.saved', revalidate: ['/providers'] });

export const setProviderDisabled = defineAction(setProviderDisabledSpec, {
  success: (p) => [p.disabled ? 'providers.disabledDone' : 'providers.enabledDone'],
  revalidate: ['/providers'],
});

export const importIndex = defineAction(importIndexSpec, {
  success: (r) => ['providers.imported', { providers: r.providers, domains: r.domains, certificates: r.certificates, replaced: r.replaced }],
  revalidate: ['/providers'],
});
