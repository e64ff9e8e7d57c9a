/** CSV import: dry run first (per-row problems), then the all-or-nothing import. */
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getPrisma } from '@/lib/db';
import { getTranslator } from '@/lib/i18n/server';
import { isAdmin } from '@/lib/permissions';
import { organizationChoices } from '@/lib/queries/organizations';
import { companiesFirst } from '@/lib/mailboxes/holder';
import { requireActor } from '@/lib/session';
import { Card, PageHeader } from '@/app/components/ui';
import { ImportForm } from './import-form';

export const dynamic = 'force-dynamic';

export default async function MailboxImportPage() {
  const actor = await requireActor();
  if (!isAdmin(actor)) notFound();
  const { t } = await getTranslator();
  const organizations = await organizationChoices(getPrisma(), actor, ['COMPANY', 'RESELLER', 'PROVIDER']);
  const keys = ['organization', 'file', 'csv', 'columnsHint', 'dryRun', 'apply', 'line', 'field', 'problem', 'value', 'downloadPasswords', 'passwordsOnce'] as const;
  const labels = Object.fromEntries(keys.map((k) => [k, t(`mailboxImport.${k}`)])) as Record<(typeof keys)[number], string>;
  return (
    <>
      <Link href="/mailboxes" className="text-sm text-blue-800 hover:underline">← {t('mailboxes.detailBack')}</Link>
      <PageHeader title={t('mailboxImport.title')} subtitle={t('mailboxImport.subtitle')} />
      <Card>
        <ImportForm organizations={companiesFirst(organizations).map((o) => ({ value: o.id, label: o.name }))} labels={labels} />
      </Card>
    </>
  );
}
