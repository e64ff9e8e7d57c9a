'use client';
/** The create form: the holder's fields follow the holder type (surname only for a person). */
import { useState } from 'react';
import { ActionForm, Field, SelectField } from '@/app/components/action-form';
import { createMailbox } from './actions';

type Option = { value: string; label: string };
type LabelKey = 'submit' | 'organization' | 'domain' | 'localPart' | 'holderType' | 'holderName' | 'holderSurname' | 'fiscalCode' | 'vatNumber' | 'taxHint' | 'contactEmail' | 'quotaMb' | 'expiresOn';

export function CreateMailboxForm({
  organizations,
  domains,
  labels,
  defaultExpiry,
}: {
  organizations: Option[];
  domains: Option[];
  labels: Record<LabelKey, string> & { holderTypes: Record<string, string> };
  defaultExpiry: string;
}) {
  const [holderType, setHolderType] = useState('NATURAL_PERSON');
  return (
    <ActionForm action={createMailbox} submitLabel={labels.submit} keepMessage testId="create-mailbox">
      <SelectField name="organizationId" label={labels.organization} options={organizations} />
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 xl:grid-cols-1 2xl:grid-cols-2">
        <Field name="localPart" label={labels.localPart} placeholder="mario.rossi" required />
        <SelectField name="domainId" label={labels.domain} options={domains} />
      </div>
      <div>
        <label htmlFor="f-holderType" className="block text-sm font-medium text-slate-700">{labels.holderType}</label>
        <select
          id="f-holderType"
          name="holderType"
          value={holderType}
          onChange={(e) => setHolderType(e.target.value)}
          className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm"
        >
          {Object.entries(labels.holderTypes).map(([value, label]) => (
            <option key={value} value={value}>{label}</option>
          ))}
        </select>
      </div>
      <Field name="holderName" label={labels.holderName} required />
      {holderType === 'NATURAL_PERSON' ? <Field name="holderSurname" label={labels.holderSurname} required /> : null}
      <Field name="holderFiscalCode" label={labels.fiscalCode} hint={labels.taxHint} />
      <Field name="holderVatNumber" label={labels.vatNumber} inputMode="numeric" />
      <Field name="holderContactEmail" label={labels.contactEmail} type="email" />
      <div className="grid grid-cols-2 gap-3">
        <Field name="quotaMb" label={labels.quotaMb} defaultValue={2048} inputMode="numeric" />
        <Field name="expiresOn" label={labels.expiresOn} type="date" defaultValue={defaultExpiry} />
      </div>
    </ActionForm>
  );
}
