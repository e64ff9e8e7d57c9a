import type { DnsVerificationState } from '@/lib/db';
import { Badge } from '@/app/components/ui';

const tones = { PENDING: 'amber', VERIFIED: 'green', FAILED: 'red' } as const;

export function DomainStateBadge({ state, label }: { state: DnsVerificationState; label: string }) {
  return <Badge tone={tones[state]}>{label}</Badge>;
}
