'use server';
import { redirect } from 'next/navigation';
import type { FormState } from '@/lib/audit/server';
import { defineAction } from '@/lib/audit/server';
import { formatDate } from '@/lib/i18n';
import { getLocale } from '@/lib/i18n/server';
import {
  approveRequestSpec,
  cancelRequestSpec,
  createActivationSpec,
  createRenewalSpec,
  rejectRequestSpec,
} from '@/lib/requests/specs';

const fileActivation = defineAction(createActivationSpec, { success: 'requests.created', revalidate: ['/requests'] });
const fileRenewal = defineAction(createRenewalSpec, { success: 'requests.created', revalidate: ['/requests'] });

/** Files the request, then opens it (PDF download and signed-scan upload are there). */
export async function createActivation(state: FormState | undefined, form: FormData): Promise<FormState> {
  const result = await fileActivation(state, form);
  if (result.ok && result.data) redirect(`/requests/${result.data.id}?created=1`);
  return result;
}

export async function createRenewal(state: FormState | undefined, form: FormData): Promise<FormState> {
  const result = await fileRenewal(state, form);
  if (result.ok && result.data) redirect(`/requests/${result.data.id}?created=1`);
  return result;
}

const approve = defineAction(approveRequestSpec, {
  success: (r) => (r.password ? ['requests.approved', { address: r.address, password: r.password }] : ['requests.renewed', { address: r.address, date: r.expiresAt.toISOString().slice(0, 10) }]),
  // no revalidation: re-rendering would replace the approval card, and the password shown once with it
});

export async function approveRequest(state: FormState | undefined, form: FormData): Promise<FormState> {
  const result = await approve(state, form);
  // the renewal date in the reader's format (the success callback has no locale)
  if (result.ok && result.data && !result.data.password) {
    result.message = result.message.replace(result.data.expiresAt.toISOString().slice(0, 10), formatDate(await getLocale(), result.data.expiresAt));
  }
  return result;
}

export const rejectRequest = defineAction(rejectRequestSpec, { success: 'requests.rejected', revalidate: ['/requests'] });
export const cancelRequest = defineAction(cancelRequestSpec, { success: 'requests.cancelled', revalidate: ['/requests'] });
