/** The modulo di attivazione entered by an admin for a customer company in scope. */
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getPrisma } from '@/lib/db';
import { getTranslator } from '@/lib/i18n/server';
import { canSubmitRequest, isAdmin } from '@/lib/permissions';
import { organizationChoices } from '@/lib/queries/organizations';
import { activationFormLabels } from '@/lib/requests/form-labels';
import { plans } from '@/lib/requests/plans';
import { requireActor } from '@/lib/session';
import { ActionForm } from '@/app/components/action-form';
import { Card, EmptyState, PageHeader } from '@/app/components/ui';
import { ActivationFields } from '../activation-fields';
import { createActivation } from '../actions';

export const dynamic = 'force-dynamic';

export default async function NewActivationPage() {
  const actor = await requireActor();
  if (!isAdmin(actor)) notFound();
  const { t } = await getTranslator();
  const db = getPrisma();
  const customers = (await organizationChoices(db, actor, ['COMPANY'])).filter((o) => canSubmitRequest(actor, o.id));
  const domains = await db.domain.findMany({
    where: {
      verificationState: 'VERIFIED',
      OR: [{ kind: 'PROVIDER_SHARED' }, { kind: 'COMPANY', organizationId: { in: customers.map((c) => c.id) } }],
    },
    select: { id: true, name: true, kind: true, organizationId: true },
    orderBy: [{ kind: 'desc' }, { name: 'asc' }],
  });
  const { labels, messages } = activationFormLabels(t);

  return (
    <>
      <PageHeader
        title={t('requests.newActivation')}
        subtitle={t('requests.public.subtitle')}
        actions={<Link href="/requests" className="text-sm text-blue-800 hover:underline">← {t('requests.back')}</Link>}
      />
      <Card className="max-w-3xl">
        {customers.length === 0 ? (
          <EmptyState title={t('requests.noCustomers')} />
        ) : (
          <ActionForm action={createActivation} submitLabel={t('requests.submit')} resetOnSuccess={false} testId="activation-form">
            <ActivationFields
              organizations={customers.map((c) => ({ id: c.id, name: c.name }))}
              domains={domains.map((d) => ({ id: d.id, name: d.name, organizationId: d.kind === 'PROVIDER_SHARED' ? null : d.organizationId }))}
              plans={plans.map((p) => ({ id: p.id, name: p.name }))}
              labels={labels}
              messages={messages}
              availabilityUrl="/requests/availability"
            />
          </ActionForm>
        )}
      </Card>
    </>
  );
}
