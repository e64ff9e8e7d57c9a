import type { RequestStatus } from '@/lib/db';
import { Badge } from '@/app/components/ui';

const tones: Record<RequestStatus, 'slate' | 'green' | 'red' | 'blue' | 'amber'> = {
  DRAFT: 'slate',
  SUBMITTED: 'amber',
  APPROVED: 'blue',
  PROVISIONED: 'green',
  REJECTED: 'red',
  CANCELLED: 'slate',
};

export function StatusBadge({ status, label }: { status: RequestStatus; label: string }) {
  return <Badge tone={tones[status]}>{label}</Badge>;
}
