/**
 * The life of an activation or renewal request, pure:
 *   DRAFT → SUBMITTED → APPROVED → PROVISIONED
 *                     ↘ REJECTED (with a reason)
 *   DRAFT | SUBMITTED → CANCELLED
 * Approval and provisioning happen in one transaction (the portal never leaves a request APPROVED
 * without its mailbox), but they stay two steps here so the history reads as the law describes it.
 */
import type { RequestStatus } from '@/lib/db';

export type RequestEvent = 'submit' | 'approve' | 'provision' | 'reject' | 'cancel';

const transitions: Record<RequestStatus, Partial<Record<RequestEvent, RequestStatus>>> = {
  DRAFT: { submit: 'SUBMITTED', cancel: 'CANCELLED' },
  SUBMITTED: { approve: 'APPROVED', reject: 'REJECTED', cancel: 'CANCELLED' },
  APPROVED: { provision: 'PROVISIONED' },
  PROVISIONED: {},
  REJECTED: {},
  CANCELLED: {},
};

export class RequestTransitionError extends Error {
  constructor(
    readonly from: RequestStatus,
    readonly event: RequestEvent,
  ) {
    super(`a ${from} request cannot ${event}`);
    this.name = 'RequestTransitionError';
  }
}

export function canTransition(from: RequestStatus, event: RequestEvent): boolean {
  return transitions[from][event] !== undefined;
}

/** The status after the event, or a RequestTransitionError. */
export function nextRequestStatus(from: RequestStatus, event: RequestEvent): RequestStatus {
  const to = transitions[from][event];
  if (!to) throw new RequestTransitionError(from, event);
  return to;
}

/** Statuses after which nothing more happens to the request. */
export function isFinal(status: RequestStatus): boolean {
  return Object.keys(transitions[status]).length === 0;
}
