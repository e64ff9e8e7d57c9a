/**
 * Our signing certificates (provider admin only): which one signs, the next one, those still
 * published after a rotation, days to expiry; upload (PEM or PKCS#12) and activate. The running
 * MTAs switch signer within seconds of an activation.
 */
import { notFound } from 'next/navigation';
import { listSigningCertificates, type CertificateStatus } from '@/lib/certificates';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db';
import { formatDate } from '@/lib/i18n';
import { getTranslator } from '@/lib/i18n/server';
import { canManageTrust } from '@/lib/permissions';
import { requireActor } from '@/lib/session';
import { ActionForm, CheckboxField, Field } from '@/app/components/action-form';
import { Badge, Card, PageHeader, ResultsTable } from '@/app/components/ui';
import { activateCertificate, uploadCertificate } from './actions';
import { UploadFields } from './upload-fields';

export const dynamic = 'force-dynamic';

const tones: Record<CertificateStatus, 'green' | 'blue' | 'amber' | 'slate' | 'red'> = {
  active: 'green',
  next: 'blue',
  published: 'amber',
  retired: 'slate',
  expired: 'red',
};

export default async function CertificatesPage() {
  const actor = await requireActor();
  if (!canManageTrust(actor)) notFound();
  const { locale, t } = await getTranslator();
  const certificates = await listSigningCertificates(getPrisma());
  const labelKeys = ['format', 'certPem', 'keyPem', 'chainPem', 'keyFile', 'chainFile', 'p12File', 'p12Password'] as const;
  const labels = {
    ...(Object.fromEntries(labelKeys.map((k) => [k, t(`certificates.${k}`)])) as Record<(typeof labelKeys)[number], string>),
    pem: t('certificates.formats.pem'),
    p12: t('certificates.formats.p12'),
    file: t('providers.certificateFile'),
  };

  return (
    <>
      <PageHeader title={t('certificates.title')} subtitle={t('certificates.subtitle')} />
      <div className="grid gap-6 xl:grid-cols-3">
        <div className="xl:col-span-2">
          <ResultsTable
            isEmpty={certificates.length === 0}
            empty={{ title: t('certificates.empty'), hint: t('certificates.emptyHint') }}
            resultsLabel={t('common.results', { count: certificates.length })}
            testId="certificates-table"
            columns={[
              { label: t('certificates.subject'), className: 'px-5 py-2 font-medium' },
              { label: t('certificates.validity'), className: 'hidden px-3 py-2 font-medium md:table-cell' },
              { label: t('certificates.daysLeft'), className: 'px-3 py-2 text-right font-medium' },
              { label: t('certificates.state'), className: 'px-5 py-2 font-medium' },
            ]}
            pagination={{ page: 1, pages: 1, href: () => '/certificates', labels: { previous: t('common.previous'), next: t('common.next'), page: t('common.page', { page: 1, pages: 1 }) } }}
          >
            {certificates.map((c) => (
              <tr key={c.id} className="align-top hover:bg-slate-50" data-testid={`certificate-${c.sha1}`}>
                <td className="px-5 py-2.5">
                  <span className="block text-slate-800 break-words">{c.label ? `${c.label} · ` : ''}{c.subject}</span>
                  <span className="block font-mono text-xs text-slate-500 break-all" title={t('certificates.fingerprint')}>{c.sha1}</span>
                </td>
                <td className="hidden px-3 py-2.5 text-xs text-slate-600 md:table-cell">
                  {formatDate(locale, c.notBefore)} → {formatDate(locale, c.notAfter)}
                </td>
                <td className={`px-3 py-2.5 text-right tabular-nums ${c.daysToExpiry < 30 ? 'font-medium text-red-700' : ''}`}>
                  {c.daysToExpiry >= 0 ? t('certificates.days', { days: c.daysToExpiry }) : '—'}
                </td>
                <td className="px-5 py-2.5">
                  <Badge tone={tones[c.status]}>{t(`certificates.states.${c.status}`)}</Badge>
                  {c.status === 'next' || c.status === 'published' ? (
                    <div className="mt-2">
                      <ActionForm action={activateCertificate} submitLabel={t('certificates.activate')} submitVariant="secondary" resetOnSuccess={false} className="" testId={`activate-${c.sha1}`}>
                        <input type="hidden" name="id" value={c.id} />
                      </ActionForm>
                    </div>
                  ) : null}
                </td>
              </tr>
            ))}
          </ResultsTable>
        </div>
        <Card title={t('certificates.uploadTitle')}>
          <p className="mb-3 text-xs text-slate-500">{t('certificates.checksHint', { address: getConfig().provider.serviceAddress })}</p>
          <ActionForm action={uploadCertificate} submitLabel={t('certificates.uploadButton')} testId="upload-certificate">
            <UploadFields labels={labels} />
            <Field name="label" label={t('certificates.label')} />
            <CheckboxField name="activate" label={t('certificates.activateNow')} />
          </ActionForm>
        </Card>
      </div>
    </>
  );
}
