/** The public modulo di attivazione (no login): provider-shared domains only. */
import { getPrisma } from '@/lib/db';
import { getTranslator } from '@/lib/i18n/server';
import { usableDomains } from '@/lib/requests/availability';
import { activationFormLabels } from '@/lib/requests/form-labels';
import { plans } from '@/lib/requests/plans';
import { ActionForm } from '@/app/components/action-form';
import { Card, PageHeader } from '@/app/components/ui';
import { ActivationFields } from '@/app/(portal)/requests/activation-fields';
import { submitActivation } from './actions';

export const dynamic = 'force-dynamic';

export default async function PublicActivationPage() {
  const { t } = await getTranslator();
  const domains = await usableDomains(getPrisma(), null);
  const { labels, messages } = activationFormLabels(t);
  return (
    <>
      <PageHeader title={t('requests.public.title')} subtitle={t('requests.public.subtitle')} />
      <Card>
        <ActionForm action={submitActivation} submitLabel={t('requests.submit')} resetOnSuccess={false} testId="public-activation-form">
          <ActivationFields
            domains={domains.map((d) => ({ id: d.id, name: d.name, organizationId: null }))}
            plans={plans.map((p) => ({ id: p.id, name: p.name }))}
            labels={labels}
            messages={messages}
            availabilityUrl="/requests/availability"
          />
        </ActionForm>
      </Card>
    </>
  );
}
