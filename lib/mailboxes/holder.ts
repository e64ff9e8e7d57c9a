/**
 * The mailbox holder's identity and the mailbox settings, as validated from the create form and
 * from CSV rows alike (same rules, same error codes). Tax ids are checked with their check
 * characters; at least one of codice fiscale and partita IVA is required.
 */
import { z } from 'zod';
import { isValidCodiceFiscale, isValidPartitaIva, normalizeTaxId } from '@/lib/validation/italian-ids';

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

export const localPartPattern = /^[a-z0-9](?:[a-z0-9_-]|\.(?!\.)){0,62}[a-z0-9]$|^[a-z0-9]$/;

export const localPartField = z.string().trim().toLowerCase().regex(localPartPattern, 'mailboxes.badLocalPart');

export const holderTypes = ['NATURAL_PERSON', 'LEGAL_PERSON', 'PUBLIC_ADMINISTRATION'] as const;

/** A date field (YYYY-MM-DD, Italian end of day kept simple: midnight UTC of the next day). */
export const expiryField = z
  .string()
  .trim()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'mailboxes.badDate')
  .transform((s, ctx) => {
    const d = new Date(`${s}T23:59:59.000Z`);
    if (Number.isNaN(d.getTime())) {
      ctx.addIssue({ code: 'custom', message: 'mailboxes.badDate' });
      return z.NEVER;
    }
    return d;
  })
  .refine((d) => d.getTime() > Date.now(), 'mailboxes.expiryInPast');

/** quota in MB: 100 MB to 100 GB */
export const quotaMbField = z.coerce.number({ message: 'mailboxes.badQuota' }).int('mailboxes.badQuota').min(100, 'mailboxes.badQuota').max(102_400, 'mailboxes.badQuota');

export const holderFields = z
  .object({
    holderType: z.enum(holderTypes, { message: 'mailboxes.badHolderType' }),
    holderName: z.string().trim().min(2, 'mailboxes.holderNameRequired').max(200),
    holderSurname: z.preprocess(blankToUndefined, z.string().trim().max(200).optional()),
    holderFiscalCode: z.preprocess(
      blankToUndefined,
      z.string().transform(normalizeTaxId).refine(isValidCodiceFiscale, 'mailboxes.badFiscalCode').optional(),
    ),
    holderVatNumber: z.preprocess(
      blankToUndefined,
      z
        .string()
        .transform((v) => normalizeTaxId(v).replace(/^IT/, ''))
        .refine(isValidPartitaIva, 'mailboxes.badVatNumber')
        .optional(),
    ),
    holderContactEmail: z.preprocess(
      blankToUndefined,
      z.string().trim().toLowerCase().regex(/^[^\s@<>]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'mailboxes.badContactEmail').optional(),
    ),
  })
  .superRefine((h, ctx) => {
    if (h.holderType === 'NATURAL_PERSON' && !h.holderSurname) {
      ctx.addIssue({ code: 'custom', path: ['holderSurname'], message: 'mailboxes.surnameRequired' });
    }
    if (!h.holderFiscalCode && !h.holderVatNumber) {
      ctx.addIssue({ code: 'custom', path: ['holderFiscalCode'], message: 'mailboxes.taxIdRequired' });
    }
  });

export type HolderFields = z.output<typeof holderFields>;

export const mailboxSettings = z.object({ quotaMb: quotaMbField, expiresOn: expiryField });

export const mebibyte = 1024n * 1024n;

/** Mailboxes mostly belong to companies: list them first in the organization pickers. */
export function companiesFirst<T extends { kind: string }>(organizations: T[]): T[] {
  return [...organizations].sort((a, b) => Number(a.kind !== 'COMPANY') - Number(b.kind !== 'COMPANY'));
}
