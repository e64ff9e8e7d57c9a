/** One domain: the DNS records to publish, the last check's problems, Verifica and the limit. */
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db';
import { recordsToPublish } from '@/lib/dns/records';
import type { DnsProblem } from '@/lib/dns/verify';
import { formatDateTime } from '@/lib/i18n';
import { getTranslator } from '@/lib/i18n/server';
import { canManageDomain, isAdmin } from '@/lib/permissions';
import { getDomainForActor } from '@/lib/queries/domains';
import { requireActor } from '@/lib/session';
import { ActionForm, Field } from '@/app/components/action-form';
import { Card, PageHeader } from '@/app/components/ui';
import { updateDomainLimit, verifyDomain } from '../actions';
import { DomainStateBadge } from '../state-badge';

export const dynamic = 'force-dynamic';

export default async function DomainPage({ params }: { params: Promise<{ id: string }> }) {
  const actor = await requireActor();
  if (!isAdmin(actor)) notFound();
  const { id } = await params;
  const domain = await getDomainForActor(getPrisma(), actor, id);
  if (!domain) notFound();
  const { locale, t } = await getTranslator();
  const manage = canManageDomain(actor, domain);
  const records = domain.verificationToken ? recordsToPublish(domain.name, domain.verificationToken, getConfig().dns.mxHostname) : [];
  const problems = (Array.isArray(domain.dnsProblems) ? domain.dnsProblems : []) as unknown as DnsProblem[];

  return (
    <>
      <Link href="/domains" className="text-sm text-blue-800 hover:underline">← {t('domains.back')}</Link>
      <PageHeader
        title={domain.name}
        subtitle={`${t(`domains.kinds.${domain.kind}`)} · ${domain.organization.name}`}
        actions={<span data-testid="domain-state"><DomainStateBadge state={domain.verificationState} label={t(`domains.states.${domain.verificationState}`)} /></span>}
      />
      <div className="grid gap-6 xl:grid-cols-3">
        <div className="space-y-6 xl:col-span-2">
          {records.length > 0 ? (
            <Card title={t('domains.recordsTitle')}>
              <p className="mb-3 text-sm text-slate-600">{t('domains.recordsHint')}</p>
              <div className="-mx-5 overflow-x-auto">
                <table className="min-w-full text-sm" data-testid="dns-records">
                  <thead className="border-b border-slate-200 text-left text-xs uppercase tracking-wide text-slate-500">
                    <tr>
                      <th className="px-5 py-2 font-medium">{t('domains.recordType')}</th>
                      <th className="px-3 py-2 font-medium">{t('domains.recordName')}</th>
                      <th className="px-5 py-2 font-medium">{t('domains.recordValue')}</th>
                    </tr>
                  </thead>
                  <tbody className="divide-y divide-slate-100">
                    {records.map((r) => (
                      <tr key={`${r.type}-${r.name}-${r.purpose}`}>
                        <td className="px-5 py-2.5 align-top">
                          <span className="font-mono font-medium">{r.type}</span>
                          <span className="block text-xs text-slate-500">{t(`domains.purpose.${r.purpose}`)}</span>
                        </td>
                        <td className="px-3 py-2.5 align-top font-mono text-xs break-all">{r.name}</td>
                        <td className="px-5 py-2.5 align-top font-mono text-xs break-all" data-testid={`record-${r.purpose}`}>
                          {r.priority !== undefined ? `${r.priority} ` : ''}
                          {r.value}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </Card>
          ) : null}
          <Card title={t('domains.problemsTitle')}>
            {problems.length === 0 ? (
              <p className="text-sm text-slate-600">{domain.lastCheckedAt ? t('domains.noProblems') : t('domains.never')}</p>
            ) : (
              <ul className="space-y-2 text-sm" data-testid="dns-problems">
                {problems.map((p, i) => (
                  <li key={i} className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-red-900">
                    {t(`domains.problems.${p.code}`)}
                    {p.detail ? <span className="block font-mono text-xs text-red-700 break-all">{p.detail}</span> : null}
                  </li>
                ))}
              </ul>
            )}
            <dl className="mt-4 grid grid-cols-2 gap-2 text-xs text-slate-500">
              <dt>{t('domains.lastChecked')}</dt>
              <dd>{domain.lastCheckedAt ? formatDateTime(locale, domain.lastCheckedAt) : t('domains.never')}</dd>
              <dt>{t('domains.verifiedAt')}</dt>
              <dd>{domain.verifiedAt ? formatDateTime(locale, domain.verifiedAt) : t('domains.never')}</dd>
            </dl>
          </Card>
        </div>
        <div className="space-y-6">
          {manage ? (
            <>
              <Card title={t('domains.verify')}>
                <ActionForm action={verifyDomain} submitLabel={t('domains.verify')} testId="verify-domain" resetOnSuccess={false}>
                  <input type="hidden" name="id" value={domain.id} />
                </ActionForm>
              </Card>
              <Card title={t('domains.limitTitle')}>
                <p className="mb-3 text-sm text-slate-600">
                  {t('domains.mailboxes')}: <span className="tabular-nums">{domain._count.mailboxes}</span>
                </p>
                <ActionForm action={updateDomainLimit} submitLabel={t('common.save')} resetOnSuccess={false} testId="domain-limit">
                  <input type="hidden" name="id" value={domain.id} />
                  <Field name="mailboxLimit" label={t('domains.limit')} defaultValue={domain.mailboxLimit ?? ''} inputMode="numeric" hint={t('domains.limitHint')} />
                </ActionForm>
              </Card>
            </>
          ) : (
            <Card>
              <p className="text-sm text-slate-600">{t('domains.readOnlyShared')}</p>
            </Card>
          )}
        </div>
      </div>
    </>
  );
}
