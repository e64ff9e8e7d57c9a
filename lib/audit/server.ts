/**
 * defineAction: a server action from an ActionSpec (see action.ts). In a 'use server' file:
 *
 *   export const createOrganization = defineAction(createOrganizationSpec, {
 *     success: (org) => ['organizations.created'], revalidate: ['/organizations'] });
 *
 * The returned function takes (previousState, FormData) — ready for useActionState / <ActionForm> —
 * or a plain object. It gets the actor from the session, validates, authorizes, runs and audits in
 * one transaction, and answers a FormState with messages already translated.
 */
import { revalidatePath } from 'next/cache';
import type { z } from 'zod';
import { getPrisma } from '@/lib/db';
import { translate, translateFieldError, type MessageKey } from '@/lib/i18n';
import { getLocale } from '@/lib/i18n/server';
import { getCurrentUser, requestContext } from '@/lib/session';
import { executeAction, type ActionSpec } from './action';

export interface FormState<R = unknown> {
  ok: boolean;
  message: string;
  fieldErrors?: Record<string, string>;
  data?: R;
  /** changes on every answer, so the client shows a toast even for two identical messages */
  at: number;
}

export interface ActionOptions<R> {
  /** success message: a key, or [key, params] computed from the result */
  success: MessageKey | ((result: R) => [MessageKey, Record<string, string | number>?]);
  /** paths to re-render after success */
  revalidate?: string[];
  /** allowed while the account set-up (password change, TOTP enrolment) is pending */
  duringSetup?: boolean;
}

function formDataToObject(form: FormData): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of form.entries()) {
    if (key.startsWith('$ACTION')) continue; // Next's own fields
    if (typeof value === 'string') out[key] = value;
  }
  return out;
}

export function defineAction<S extends z.ZodType, T, R>(spec: ActionSpec<S, T, R>, options: ActionOptions<R>) {
  return async function serverAction(previousOrInput: unknown, form?: FormData): Promise<FormState<R>> {
    const locale = await getLocale();
    const at = Date.now();
    const current = await getCurrentUser();
    if (!current) return { ok: false, message: translate(locale, 'errors.unauthenticated'), at };
    if (current.setupRequired.length > 0 && !options.duringSetup) {
      return { ok: false, message: translate(locale, 'errors.setupRequired'), at };
    }
    const raw = form instanceof FormData ? formDataToObject(form) : previousOrInput;
    const result = await executeAction(spec, current.actor, raw, await requestContext(), getPrisma());
    if (!result.ok) {
      const fieldErrors = result.fieldErrors
        ? Object.fromEntries(Object.entries(result.fieldErrors).map(([k, v]) => [k, translateFieldError(locale, v)]))
        : undefined;
      return { ok: false, message: translate(locale, result.messageKey), fieldErrors, at };
    }
    for (const path of options.revalidate ?? []) revalidatePath(path);
    const [key, params] =
      typeof options.success === 'function' ? options.success(result.data) : [options.success, undefined];
    return { ok: true, message: translate(locale, key, params), data: result.data, at };
  };
}
