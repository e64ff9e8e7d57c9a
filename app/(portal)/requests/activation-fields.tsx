'use client';
/**
 * The fields of the modulo di attivazione, inside an ActionForm: inline validation while typing
 * (the same pure rules the server applies, lib/requests/form.ts), the fields each holder type needs,
 * and a live, debounced availability check of the requested address. Server errors show too.
 */
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { FieldLabel, FieldNote, fieldBorder, useFieldError } from '@/app/components/action-form';
import { activationProblems, holderKinds, requirementsOf, type HolderKind } from '@/lib/requests/form';

export interface DomainChoice {
  id: string;
  name: string;
  /** null: provider-shared, usable by every customer */
  organizationId: string | null;
}

type Labels = Record<string, string>;

const inputClass = (error?: string) =>
  `mt-1 block w-full rounded-md border px-3 py-2 text-sm shadow-sm focus:outline-none focus:ring-2 ${fieldBorder(error)}`;

function Row({
  name,
  label,
  required,
  error,
  hint,
  children,
}: {
  name: string;
  label: string;
  required?: boolean;
  error?: string;
  hint?: string;
  children: ReactNode;
}) {
  return (
    <div>
      <FieldLabel id={`f-${name}`} label={label} required={required} />
      {children}
      <FieldNote error={error} hint={hint} errorId={`f-${name}-error`} testId={`error-${name}`} />
    </div>
  );
}

export function ActivationFields({
  organizations,
  domains,
  plans,
  labels,
  messages,
  availabilityUrl,
}: {
  /** customers to file for (portal); absent on the public form */
  organizations?: { id: string; name: string }[];
  domains: DomainChoice[];
  plans: { id: string; name: string }[];
  /** field labels, option labels, section titles (already translated) */
  labels: Labels;
  /** translated texts of the problem keys (requests.errors.*) and availability states */
  messages: Labels;
  availabilityUrl: string;
}) {
  const rootRef = useRef<HTMLDivElement>(null);
  const [holderKind, setHolderKind] = useState<HolderKind>('COMPANY');
  const [organizationId, setOrganizationId] = useState(organizations?.[0]?.id ?? '');
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [availability, setAvailability] = useState<{ state: string; address?: string } | null>(null);
  const need = requirementsOf(holderKind);
  const usable = domains.filter((d) => d.organizationId === null || d.organizationId === organizationId);

  const values = useCallback((): Record<string, string> => {
    const form = rootRef.current?.closest('form');
    if (!form) return {};
    const out: Record<string, string> = {};
    new FormData(form).forEach((v, k) => {
      if (typeof v === 'string') out[k] = v;
    });
    return out;
  }, []);

  const validate = useCallback(() => {
    const v = values();
    setProblems(
      activationProblems({
        holderKind: (v.holderKind as HolderKind) ?? 'COMPANY',
        holderName: (v.holderName ?? '').trim(),
        vatNumber: (v.vatNumber ?? '').trim(),
        fiscalCode: (v.fiscalCode ?? '').trim(),
        legalRepName: (v.legalRepName ?? '').trim(),
        legalRepFiscalCode: (v.legalRepFiscalCode ?? '').trim(),
        contactEmail: (v.contactEmail ?? '').trim(),
        phone: (v.phone ?? '').trim(),
        address: (v.address ?? '').trim(),
        localPart: (v.localPart ?? '').trim(),
        durationYears: Number(v.durationYears ?? 1),
        renewalMode: v.renewalMode === 'AUTOMATIC' ? 'AUTOMATIC' : 'MANUAL',
        acceptTerms: v.acceptTerms === 'on',
      }),
    );
  }, [values]);

  // live availability, debounced: asked 350 ms after the last keystroke
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const checkAvailability = useCallback(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(async () => {
      const v = values();
      if (!v.localPart?.trim() || !v.domainId) return setAvailability(null);
      setAvailability({ state: 'checking' });
      const q = new URLSearchParams({
        localPart: v.localPart.trim(),
        domainId: v.domainId,
        ...(v.organizationId ? { organizationId: v.organizationId } : {}),
      });
      try {
        const res = await fetch(`${availabilityUrl}?${q}`, { cache: 'no-store' });
        const body = (await res.json()) as { availability: string; address?: string };
        setAvailability({ state: body.availability, address: body.address });
      } catch {
        setAvailability(null);
      }
    }, 350);
  }, [availabilityUrl, values]);
  useEffect(() => () => clearTimeout(timer.current), []);

  const onEdit = (name: string) => {
    setTouched((t) => (t.has(name) ? t : new Set(t).add(name)));
    validate();
    if (name === 'localPart' || name === 'domainId' || name === 'organizationId') checkAvailability();
  };

  const serverErrors: Record<string, string | undefined> = {
    organizationId: useFieldError('organizationId'),
    holderName: useFieldError('holderName'),
    vatNumber: useFieldError('vatNumber'),
    fiscalCode: useFieldError('fiscalCode'),
    legalRepName: useFieldError('legalRepName'),
    legalRepFiscalCode: useFieldError('legalRepFiscalCode'),
    contactEmail: useFieldError('contactEmail'),
    phone: useFieldError('phone'),
    localPart: useFieldError('localPart'),
    domainId: useFieldError('domainId'),
    acceptTerms: useFieldError('acceptTerms'),
  };
  const errorOf = (name: string) =>
    touched.has(name) && problems[name] ? (messages[problems[name]] ?? problems[name]) : serverErrors[name];

  const text = (
    name: string,
    required: boolean,
    extra: {
      hint?: string;
      inputMode?: 'numeric' | 'email' | 'text';
      type?: string;
      autoComplete?: string;
    } = {},
  ) => {
    const error = errorOf(name);
    return (
      <Row name={name} label={labels[name]} required={required} error={error} hint={extra.hint}>
        <input
          id={`f-${name}`}
          name={name}
          type={extra.type ?? 'text'}
          inputMode={extra.inputMode}
          autoComplete={extra.autoComplete}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `f-${name}-error` : undefined}
          onBlur={() => onEdit(name)}
          onChange={() => (touched.has(name) || name === 'localPart' ? onEdit(name) : undefined)}
          className={inputClass(error)}
        />
      </Row>
    );
  };

  const section = (title: string, children: ReactNode) => (
    <fieldset className="space-y-4 rounded-lg border border-slate-200 p-4">
      <legend className="px-1 text-sm font-semibold text-slate-900">{title}</legend>
      {children}
    </fieldset>
  );

  const availabilityText = availability
    ? (messages[`availability.${availability.state}`] ?? '').replace('{address}', availability.address ?? '')
    : '';
  const availabilityTone =
    availability?.state === 'available'
      ? 'text-emerald-700'
      : availability?.state === 'checking'
        ? 'text-slate-500'
        : 'text-red-600';
  const localPartError = errorOf('localPart');

  return (
    <div ref={rootRef} className="space-y-5">
      {organizations ? (
        <Row name="organizationId" label={labels.organizationId} required error={serverErrors.organizationId}>
          <select
            id="f-organizationId"
            name="organizationId"
            value={organizationId}
            onChange={(e) => {
              setOrganizationId(e.target.value);
              onEdit('organizationId');
            }}
            className={inputClass()}
          >
            {organizations.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
        </Row>
      ) : null}

      {section(
        labels['section.holder'],
        <>
          <Row name="holderKind" label={labels.holderKind} required>
            <select
              id="f-holderKind"
              name="holderKind"
              value={holderKind}
              onChange={(e) => {
                setHolderKind(e.target.value as HolderKind);
                setTimeout(validate, 0);
              }}
              className={inputClass()}
            >
              {holderKinds.map((k) => (
                <option key={k} value={k}>
                  {labels[`holderKind.${k}`]}
                </option>
              ))}
            </select>
          </Row>
          {text('holderName', true, { autoComplete: 'organization' })}
          <div className="grid gap-4 sm:grid-cols-2">
            {text('vatNumber', need.vat, { inputMode: 'numeric' })}
            {text('fiscalCode', need.fiscalCode, { hint: labels['hint.fiscalCode'] })}
          </div>
          {text('address', false, { autoComplete: 'street-address' })}
        </>,
      )}

      {need.legalRep
        ? section(
            labels['section.legalRep'],
            <div className="grid gap-4 sm:grid-cols-2">
              {text('legalRepName', true)}
              {text('legalRepFiscalCode', true)}
            </div>,
          )
        : null}

      {section(
        labels['section.contacts'],
        <div className="grid gap-4 sm:grid-cols-2">
          {text('contactEmail', true, {
            type: 'email',
            inputMode: 'email',
            hint: labels['hint.contactEmail'],
            autoComplete: 'email',
          })}
          {text('phone', true, { type: 'tel', autoComplete: 'tel' })}
        </div>,
      )}

      {section(
        labels['section.mailbox'],
        <>
          <div className="grid gap-2 sm:grid-cols-[1fr_auto_1fr] sm:items-start">
            <Row name="localPart" label={labels.localPart} required error={localPartError}>
              <input
                id="f-localPart"
                name="localPart"
                autoComplete="off"
                spellCheck={false}
                aria-invalid={localPartError ? true : undefined}
                onChange={() => onEdit('localPart')}
                onBlur={() => onEdit('localPart')}
                className={inputClass(localPartError)}
              />
            </Row>
            <span className="hidden pt-8 text-center text-slate-500 sm:block">@</span>
            <Row name="domainId" label={labels.domainId} required error={serverErrors.domainId}>
              <select
                id="f-domainId"
                name="domainId"
                onChange={() => onEdit('domainId')}
                className={inputClass(serverErrors.domainId)}
              >
                {usable.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.name}
                  </option>
                ))}
              </select>
            </Row>
          </div>
          <p
            role="status"
            aria-live="polite"
            data-testid="availability"
            className={`min-h-5 text-sm ${availabilityTone}`}
          >
            {availabilityText}
          </p>
        </>,
      )}

      {section(
        labels['section.service'],
        <div className="grid gap-4 sm:grid-cols-3">
          <Row name="plan" label={labels.plan} required>
            <select id="f-plan" name="plan" className={inputClass()} defaultValue={plans[0]?.id}>
              {plans.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </Row>
          <Row name="durationYears" label={labels.durationYears} required>
            <select id="f-durationYears" name="durationYears" className={inputClass()} defaultValue="1">
              {[1, 2, 3, 4, 5].map((n) => (
                <option key={n} value={n}>
                  {labels[`years.${n}`]}
                </option>
              ))}
            </select>
          </Row>
          <Row name="renewalMode" label={labels.renewalMode} required>
            <select id="f-renewalMode" name="renewalMode" className={inputClass()} defaultValue="MANUAL">
              <option value="MANUAL">{labels['renewalMode.MANUAL']}</option>
              <option value="AUTOMATIC">{labels['renewalMode.AUTOMATIC']}</option>
            </select>
          </Row>
        </div>,
      )}

      <div>
        <label className="flex items-start gap-2 text-sm text-slate-700">
          <input
            type="checkbox"
            name="acceptTerms"
            onChange={() => onEdit('acceptTerms')}
            className="mt-0.5 h-4 w-4 rounded border-slate-300 text-blue-700 focus:ring-blue-500"
          />
          <span>
            {labels.acceptTerms}
            <span className="text-red-600"> *</span>
          </span>
        </label>
        {errorOf('acceptTerms') ? (
          <p className="mt-1 text-xs text-red-600" data-testid="error-acceptTerms">
            {errorOf('acceptTerms')}
          </p>
        ) : null}
      </div>
    </div>
  );
}
