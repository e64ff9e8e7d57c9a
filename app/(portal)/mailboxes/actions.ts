'use server';
import { defineAction } from '@/lib/audit/server';
import { getPrisma } from '@/lib/db';
import { translate } from '@/lib/i18n';
import { getLocale } from '@/lib/i18n/server';
import { planMailboxImport } from '@/lib/mailboxes/csv-import';
import { getCurrentUser } from '@/lib/session';
import {
  createMailboxSpec,
  importMailboxesSpec,
  reactivateMailboxSpec,
  resetMailboxPasswordSpec,
  suspendMailboxSpec,
  updateMailboxExpirySpec,
  updateMailboxQuotaSpec,
} from './specs';

export const createMailbox = defineAction(createMailboxSpec, {
  success: (r) => ['mailboxes.created', { address: r.mailbox.address, password: r.password }],
  revalidate: ['/mailboxes'],
});

export const suspendMailbox = defineAction(suspendMailboxSpec, { success: 'mailboxes.suspended', revalidate: ['/mailboxes'] });
export const reactivateMailbox = defineAction(reactivateMailboxSpec, { success: 'mailboxes.reactivated', revalidate: ['/mailboxes'] });
export const resetMailboxPassword = defineAction(resetMailboxPasswordSpec(), {
  success: (r) => ['mailboxes.passwordReset', { address: r.address, password: r.password }],
  revalidate: ['/mailboxes'],
});
export const updateMailboxQuota = defineAction(updateMailboxQuotaSpec, { success: 'mailboxes.quotaUpdated', revalidate: ['/mailboxes'] });
export const updateMailboxExpiry = defineAction(updateMailboxExpirySpec, { success: 'mailboxes.expiryUpdated', revalidate: ['/mailboxes'] });

export const importMailboxes = defineAction(importMailboxesSpec, {
  success: (r) => ['mailboxImport.applied', { count: r.created }],
  revalidate: ['/mailboxes'],
});

export interface DryRunAnswer {
  ok: boolean;
  message: string;
  errors: { line: number; field: string; message: string; value?: string }[];
  at: number;
}

/** The dry run: reads only (nothing to audit), answers the per-row problems already translated. */
export async function dryRunMailboxImport(_previous: unknown, form: FormData): Promise<DryRunAnswer> {
  const locale = await getLocale();
  const at = Date.now();
  const current = await getCurrentUser();
  if (!current || current.setupRequired.length > 0) return { ok: false, message: translate(locale, 'errors.unauthenticated'), errors: [], at };
  const organizationId = String(form.get('organizationId') ?? '');
  const csv = String(form.get('csv') ?? '');
  const plan = await getPrisma().$transaction((tx) => planMailboxImport(tx, current.actor, organizationId, csv));
  const errors = plan.errors.map((e) => ({
    line: e.line,
    field: translate(locale, `mailboxImport.fields.${e.field}`),
    message: translate(locale, e.message),
    value: e.value,
  }));
  return errors.length > 0
    ? { ok: false, message: translate(locale, 'mailboxImport.dryRunErrors', { count: errors.length }), errors, at }
    : { ok: true, message: translate(locale, 'mailboxImport.dryRunOk', { count: plan.rows.length }), errors, at };
}
