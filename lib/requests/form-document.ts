/** A request as the printable modulo (lib/pdf/request-form.ts): Italian labels, values from formData. */
import type { RequestFormDocument } from '@/lib/pdf/request-form';
import { requestNumber, requestsIt } from './messages';
import { findPlan } from './plans';

interface RequestLike {
  id: string;
  kind: 'ACTIVATION' | 'RENEWAL';
  requestedAddress: string | null;
  plan: string;
  durationYears: number;
  formData: unknown;
  submittedAt: Date | null;
  createdAt: Date;
}

type Form = Partial<Record<string, string | boolean>>;

const dateIt = (iso: string) => new Intl.DateTimeFormat('it-IT', { dateStyle: 'long', timeZone: 'Europe/Rome' }).format(new Date(iso));

export function requestFormDocument(request: RequestLike, providerName: string): RequestFormDocument {
  const f = request.formData as Form;
  const s = (k: string) => (typeof f[k] === 'string' ? (f[k] as string) : '');
  const labels = requestsIt.fields;
  const holderKind = s('holderKind') as keyof typeof requestsIt.holderKinds;
  const service: [string, string][] = [
    [labels.plan, findPlan(request.plan)?.name ?? request.plan],
    [labels.durationYears, request.durationYears === 1 ? requestsIt.year : requestsIt.years.replace('{count}', String(request.durationYears))],
    [labels.renewalMode, requestsIt.renewalModes[(s('renewalMode') || 'MANUAL') as 'AUTOMATIC' | 'MANUAL']],
  ];
  const sections: RequestFormDocument['sections'] =
    request.kind === 'ACTIVATION'
      ? [
          {
            title: requestsIt.sections.holder,
            rows: [
              [labels.holderKind, requestsIt.holderKinds[holderKind] ?? ''],
              [labels.holderName, s('holderName')],
              [labels.vatNumber, s('vatNumber')],
              [labels.fiscalCode, s('fiscalCode')],
              [labels.address, s('address')],
            ],
          },
          ...(s('legalRepName')
            ? [{ title: requestsIt.sections.legalRep, rows: [[labels.legalRepName, s('legalRepName')], [labels.legalRepFiscalCode, s('legalRepFiscalCode')]] as [string, string][] }]
            : []),
          { title: requestsIt.sections.contacts, rows: [[labels.contactEmail, s('contactEmail')], [labels.phone, s('phone')]] },
          { title: requestsIt.sections.mailbox, rows: [[requestsIt.address, request.requestedAddress ?? ''], ...service] },
        ]
      : [
          {
            title: requestsIt.sections.holder,
            rows: [
              [labels.holderName, s('holderName')],
              [labels.vatNumber, s('vatNumber')],
              [labels.fiscalCode, s('fiscalCode')],
              [labels.contactEmail, s('contactEmail')],
            ],
          },
          {
            title: requestsIt.sections.mailbox,
            rows: [[requestsIt.address, request.requestedAddress ?? ''], [requestsIt.currentExpiry, s('currentExpiry') ? dateIt(s('currentExpiry')) : ''], ...service],
          },
        ];
  return {
    kind: request.kind,
    number: requestNumber(request.id),
    issuedAt: request.submittedAt ?? request.createdAt,
    providerName,
    sections,
    declarations: [
      'Il sottoscritto chiede ' + (request.kind === 'ACTIVATION' ? 'l’attivazione' : 'il rinnovo') + ' della casella di Posta Elettronica Certificata indicata, alle condizioni del piano scelto.',
      'Dichiara che i dati sono veritieri (artt. 46 e 76 D.P.R. 445/2000) e di aver letto e accettato le condizioni generali del servizio e l’informativa sul trattamento dei dati personali (Reg. UE 2016/679).',
    ],
  };
}
