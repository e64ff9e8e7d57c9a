'use server';
/**
 * The public activation form's action: no session, so it is rate-limited per client address;
 * Next checks the Origin of server-action posts (CSRF). On success, go to the request's page
 * (a capability link carrying the access token).
 */
import { redirect } from 'next/navigation';
import type { FormState } from '@/lib/audit/server';
import { getPrisma } from '@/lib/db';
import { translate, translateFieldError } from '@/lib/i18n';
import { getLocale } from '@/lib/i18n/server';
import { submitPublicActivation } from '@/lib/requests/public';
import { publicSubmissionLimiter } from '@/lib/requests/rate-limit';
import { requestContext } from '@/lib/session';

export async function submitActivation(_state: FormState | undefined, form: FormData): Promise<FormState> {
  const locale = await getLocale();
  const at = Date.now();
  const context = await requestContext();
  if (!publicSubmissionLimiter.allow(context.ip ?? 'local')) {
    return { ok: false, message: translate(locale, 'requests.public.tooMany'), at };
  }
  const raw: Record<string, string> = {};
  form.forEach((v, k) => {
    if (typeof v === 'string' && !k.startsWith('$ACTION')) raw[k] = v;
  });
  const result = await submitPublicActivation(getPrisma(), raw, context);
  if (!result.ok) {
    const fieldErrors = result.fieldErrors
      ? Object.fromEntries(Object.entries(result.fieldErrors).map(([k, v]) => [k, translateFieldError(locale, v)]))
      : undefined;
    return { ok: false, message: translate(locale, result.messageKey), fieldErrors, at };
  }
  redirect(`/attivazione/${result.id}?t=${encodeURIComponent(result.token)}`);
}
