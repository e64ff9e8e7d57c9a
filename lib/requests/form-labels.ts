/** The translated labels and messages the activation form's client component needs (server side). */
import type { Translator } from '@/lib/i18n';
import { holderKinds } from './form';
import { requestsIt } from './messages';

export function activationFormLabels(t: Translator): { labels: Record<string, string>; messages: Record<string, string> } {
  const labels: Record<string, string> = { organizationId: t('requests.fields.organization') };
  for (const k of Object.keys(requestsIt.fields)) labels[k] = t(`requests.fields.${k}`);
  for (const k of holderKinds) labels[`holderKind.${k}`] = t(`requests.holderKinds.${k}`);
  for (const k of Object.keys(requestsIt.sections)) labels[`section.${k}`] = t(`requests.sections.${k}`);
  for (const k of Object.keys(requestsIt.hints)) labels[`hint.${k}`] = t(`requests.hints.${k}`);
  for (const n of [1, 2, 3, 4, 5]) labels[`years.${n}`] = n === 1 ? t('requests.year') : t('requests.years', { count: n });
  labels['renewalMode.MANUAL'] = t('requests.renewalModes.MANUAL');
  labels['renewalMode.AUTOMATIC'] = t('requests.renewalModes.AUTOMATIC');
  const messages: Record<string, string> = {};
  for (const k of Object.keys(requestsIt.errors)) messages[`requests.errors.${k}`] = t(`requests.errors.${k}`);
  for (const k of Object.keys(requestsIt.availability)) messages[`availability.${k}`] = t(`requests.availability.${k}`);
  return { labels, messages };
}
