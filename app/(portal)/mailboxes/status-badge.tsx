import type { MailboxStatus } from '@/lib/db';
import { Badge } from '@/app/components/ui';

const tones = { ACTIVE: 'green', SUSPENDED: 'amber', EXPIRED: 'red', CEASED: 'slate' } as const;

export function MailboxStatusBadge({ status, label }: { status: MailboxStatus; label: string }) {
  return <Badge tone={tones[status]}>{label}</Badge>;
}
