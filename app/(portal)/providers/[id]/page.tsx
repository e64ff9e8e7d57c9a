/** One trusted provider: its domains and certificates; edit (manual entries), disable or re-enable. */
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getPrisma } from '@/lib/db';
import { formatDate, formatDateTime } from '@/lib/i18n';
import { getTranslator } from '@/lib/i18n/server';
import { canManageTrust } from '@/lib/permissions';
import { requireActor } from '@/lib/session';
import { ActionForm, Field } from '@/app/components/action-form';
import { Badge, Card, PageHeader } from '@/app/components/ui';
import { editProvider, setProviderDisabled } from '../actions';
import { getTrustedProvider } from '../queries';
import { TextAreaField, TextFileField } from '../text-file-field';

export const dynamic = 'force-dynamic';

export default async function ProviderPage({ params }: { params: Promise<{ id: string }> }) {
  const actor = await requireActor();
  if (!canManageTrust(actor)) notFound();
  const { id } = await params;
  const provider = await getTrustedProvider(getPrisma(), id);
  if (!provider) notFound();
  const { locale, t } = await getTranslator();
  const now = new Date();
  const editable = provider.source === 'MANUAL' && !provider.isSelf;

  return (
    <>
      <Link href="/providers" className="text-sm text-blue-800 hover:underline">← {t('providers.back')}</Link>
      <PageHeader
        title={provider.providerName}
        subtitle={`${provider.providerUnit ? `${provider.providerUnit} · ` : ''}${provider.mailReceipt}`}
        actions={
          <span className="flex gap-2" data-testid="provider-state">
            <Badge tone={provider.source === 'MANUAL' ? 'blue' : 'slate'}>{t(`providers.sources.${provider.source}`)}</Badge>
            <Badge tone={provider.disabled ? 'red' : 'green'}>{provider.disabled ? t('providers.disabledState') : t('providers.enabled')}</Badge>
          </span>
        }
      />
      <div className="grid gap-6 xl:grid-cols-3">
        <div className="space-y-6 xl:col-span-2">
          <Card title={t('providers.domains')}>
            <ul className="grid gap-1 font-mono text-sm sm:grid-cols-2" data-testid="provider-domains">
              {provider.domains.map((d) => (
                <li key={d.domain} className="break-all">{d.domain}</li>
              ))}
            </ul>
          </Card>
          <Card title={t('providers.detailCertificates')}>
            {provider.certificates.length === 0 ? (
              <p className="text-sm text-slate-600">{t('providers.noCertificates')}</p>
            ) : (
              <ul className="space-y-3 text-sm" data-testid="provider-certificates">
                {provider.certificates.map((c) => (
                  <li key={c.id} className="rounded-md border border-slate-200 p-3">
                    <p className="text-slate-800 break-words">{c.subject}</p>
                    <p className="mt-1 font-mono text-xs text-slate-600 break-all">
                      {t('providers.fingerprint')}: {c.sha1}
                    </p>
                    {c.notBefore && c.notAfter ? (
                      <p className={`mt-1 text-xs ${c.notAfter < now ? 'text-red-700' : 'text-slate-600'}`}>
                        {t('providers.validity')}: {t('providers.validFromTo', { from: formatDate(locale, c.notBefore), to: formatDate(locale, c.notAfter) })}
                        {c.notAfter < now ? ` (${t('providers.expired')})` : ''}
                      </p>
                    ) : null}
                  </li>
                ))}
              </ul>
            )}
            <p className="mt-4 text-xs text-slate-500">
              {formatDateTime(locale, provider.updatedAt)}
              {provider.disabledAt ? ` · ${t('providers.disabledState')} ${formatDateTime(locale, provider.disabledAt)}` : ''}
            </p>
          </Card>
        </div>
        <div className="space-y-6">
          {editable ? (
            <Card title={t('providers.editTitle')}>
              <ActionForm action={editProvider} submitLabel={t('common.save')} resetOnSuccess={false} testId="edit-provider">
                <input type="hidden" name="id" value={provider.id} />
                <Field name="providerName" label={t('providers.name')} defaultValue={provider.providerName} required />
                <Field name="providerUnit" label={t('providers.unit')} defaultValue={provider.providerUnit ?? ''} />
                <Field name="mailReceipt" label={t('providers.mailReceipt')} defaultValue={provider.mailReceipt} required />
                <TextAreaField name="domains" label={t('providers.domains')} hint={t('providers.domainsHint')} defaultValue={provider.domains.map((d) => d.domain).join('\n')} required />
                <TextFileField name="certificatesPem" label={t('providers.certificates')} fileLabel={t('providers.certificateFile')} hint={t('providers.certificatesHint')} accept=".pem,.cer,.crt,.der" certificates />
              </ActionForm>
            </Card>
          ) : (
            <Card>
              <p className="text-sm text-slate-600">{provider.isSelf ? t('providers.selfReadOnly') : t('providers.ldifReadOnly')}</p>
            </Card>
          )}
          {provider.isSelf ? null : (
            <Card>
              <ActionForm
                action={setProviderDisabled}
                submitLabel={provider.disabled ? t('providers.enable') : t('providers.disable')}
                submitVariant={provider.disabled ? 'primary' : 'danger'}
                resetOnSuccess={false}
                testId="toggle-provider"
              >
                <input type="hidden" name="id" value={provider.id} />
                <input type="hidden" name="disabled" value={provider.disabled ? 'false' : 'true'} />
              </ActionForm>
            </Card>
          )}
        </div>
      </div>
    </>
  );
}
