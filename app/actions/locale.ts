'use server';
/** Language switch: remembers the choice in the `lang` cookie for a year. */
import { cookies } from 'next/headers';
import { revalidatePath } from 'next/cache';
import { isLocale, localeCookie } from '@/lib/i18n';

export async function setLocale(form: FormData): Promise<void> {
  const value = form.get('locale');
  if (typeof value !== 'string' || !isLocale(value)) return;
  (await cookies()).set(localeCookie, value, { path: '/', maxAge: 365 * 86_400, sameSite: 'lax' });
  revalidatePath('/', 'layout');
}
