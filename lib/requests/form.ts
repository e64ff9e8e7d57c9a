/**
 * The modulo di attivazione / rinnovo as data, and its validation. The zod schemas take what HTML
 * forms send (strings, checkboxes); activationProblems() applies the rules that depend on the holder
 * type (which tax ids and whether a legal representative) and the checksums. It is pure, so the
 * browser runs it too for inline validation while typing; the server runs it again before saving.
 * Problems are message keys of lib/requests/messages.ts.
 */
import { z } from 'zod';
import type { HolderType } from '@/lib/db';
import { isValidCodiceFiscale, isValidPartitaIva, normalizeTaxId } from '@/lib/validation/italian-ids';
import { planIds } from './plans';

export const holderKinds = ['COMPANY', 'PROFESSIONAL', 'INDIVIDUAL', 'PUBLIC_ADMINISTRATION'] as const;
export type HolderKind = (typeof holderKinds)[number];

/** The data model knows persons, legal persons and PAs; a professional is a natural person with a partita IVA. */
export const holderTypeOf: Record<HolderKind, HolderType> = {
  COMPANY: 'LEGAL_PERSON',
  PROFESSIONAL: 'NATURAL_PERSON',
  INDIVIDUAL: 'NATURAL_PERSON',
  PUBLIC_ADMINISTRATION: 'PUBLIC_ADMINISTRATION',
};

const text = (max: number) => z.preprocess((v) => (typeof v === 'string' ? v.trim() : v), z.string().max(max).default(''));
const checkbox = z.preprocess((v) => v === true || v === 'on' || v === 'true', z.boolean());
const duration = z.coerce.number().int().min(1).max(5);

export const activationFields = {
  holderKind: z.enum(holderKinds),
  holderName: text(200),
  vatNumber: text(20),
  fiscalCode: text(20),
  legalRepName: text(200),
  legalRepFiscalCode: text(20),
  contactEmail: text(254),
  phone: text(40),
  address: text(300),
  localPart: text(64),
  domainId: z.string().uuid(),
  plan: z.enum(planIds),
  durationYears: duration,
  renewalMode: z.enum(['AUTOMATIC', 'MANUAL']),
  acceptTerms: checkbox,
};

export const activationSchema = z.object(activationFields);
export type ActivationForm = z.output<typeof activationSchema>;

export const renewalSchema = z.object({
  mailboxId: z.string().uuid(),
  plan: z.enum(planIds),
  durationYears: duration,
  renewalMode: z.enum(['AUTOMATIC', 'MANUAL']),
  contactEmail: text(254),
  acceptTerms: checkbox,
});
export type RenewalForm = z.output<typeof renewalSchema>;

const emailPattern = /^[^\s@<>]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/i;
const phonePattern = /^\+?[0-9 ./-]{6,20}$/;
/** Local parts we hand out: letters, digits and . _ - inside, no leading/trailing punctuation. */
const localPartPattern = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;

export function normalizeLocalPart(value: string): string {
  return value.trim().toLowerCase();
}

export function isValidLocalPart(value: string): boolean {
  const v = normalizeLocalPart(value);
  return localPartPattern.test(v) && !v.includes('..');
}

export type Problems = Record<string, string>;

/** Which tax ids and representative each holder type needs. */
export function requirementsOf(kind: HolderKind): { vat: boolean; fiscalCode: boolean; legalRep: boolean } {
  switch (kind) {
    case 'COMPANY':
      return { vat: true, fiscalCode: false, legalRep: true };
    case 'PROFESSIONAL':
      return { vat: true, fiscalCode: true, legalRep: false };
    case 'INDIVIDUAL':
      return { vat: false, fiscalCode: true, legalRep: false };
    case 'PUBLIC_ADMINISTRATION':
      return { vat: false, fiscalCode: true, legalRep: true };
  }
}

/** The contact checks shared by activation and renewal. */
function contactProblems(form: { contactEmail: string }, problems: Problems): void {
  if (!form.contactEmail) problems.contactEmail = 'requests.errors.required';
  else if (!emailPattern.test(form.contactEmail)) problems.contactEmail = 'requests.errors.email';
}

export function activationProblems(form: Omit<ActivationForm, 'domainId' | 'plan'> & { domainId?: string; plan?: string }): Problems {
  const problems: Problems = {};
  const need = requirementsOf(form.holderKind);
  if (form.holderName.length < 2) problems.holderName = 'requests.errors.required';

  if (form.vatNumber) {
    if (!isValidPartitaIva(form.vatNumber)) problems.vatNumber = 'requests.errors.vatNumber';
  } else if (need.vat) problems.vatNumber = 'requests.errors.required';

  if (form.fiscalCode) {
    const cf = normalizeTaxId(form.fiscalCode);
    if (!isValidCodiceFiscale(cf)) problems.fiscalCode = 'requests.errors.fiscalCode';
    // a person's code is 16 characters; an 11-digit code belongs to a company or a body
    else if ((form.holderKind === 'INDIVIDUAL' || form.holderKind === 'PROFESSIONAL') && cf.length !== 16) {
      problems.fiscalCode = 'requests.errors.personalFiscalCode';
    }
  } else if (need.fiscalCode) problems.fiscalCode = 'requests.errors.required';

  if (need.legalRep) {
    if (form.legalRepName.length < 3) problems.legalRepName = 'requests.errors.required';
    if (!form.legalRepFiscalCode) problems.legalRepFiscalCode = 'requests.errors.required';
    else if (normalizeTaxId(form.legalRepFiscalCode).length !== 16 || !isValidCodiceFiscale(form.legalRepFiscalCode)) {
      problems.legalRepFiscalCode = 'requests.errors.personalFiscalCode';
    }
  }

  contactProblems(form, problems);
  if (!form.phone) problems.phone = 'requests.errors.required';
  else if (!phonePattern.test(form.phone)) problems.phone = 'requests.errors.phone';
  if (!form.localPart) problems.localPart = 'requests.errors.required';
  else if (!isValidLocalPart(form.localPart)) problems.localPart = 'requests.errors.localPart';
  if (!form.acceptTerms) problems.acceptTerms = 'requests.errors.terms';
  return problems;
}

export function renewalProblems(form: RenewalForm): Problems {
  const problems: Problems = {};
  contactProblems(form, problems);
  if (!form.acceptTerms) problems.acceptTerms = 'requests.errors.terms';
  return problems;
}

/** What is kept in MailboxRequest.formData: the form as validated, tax ids normalised. */
export function activationFormData(form: ActivationForm): Record<string, string | number | boolean> {
  return {
    holderKind: form.holderKind,
    holderName: form.holderName,
    vatNumber: form.vatNumber ? normalizeTaxId(form.vatNumber) : '',
    fiscalCode: form.fiscalCode ? normalizeTaxId(form.fiscalCode) : '',
    legalRepName: form.legalRepName,
    legalRepFiscalCode: form.legalRepFiscalCode ? normalizeTaxId(form.legalRepFiscalCode) : '',
    contactEmail: form.contactEmail.toLowerCase(),
    phone: form.phone,
    address: form.address,
    renewalMode: form.renewalMode,
    acceptTerms: form.acceptTerms,
  };
}
