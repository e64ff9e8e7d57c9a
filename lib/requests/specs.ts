/**
 * Request mutations as audited action specs (lib/audit/action.ts): an admin files an activation or
 * renewal for a customer, attaches the signed scan, and the provider (or a reseller with the right)
 * approves — provisioning in the same transaction — or rejects with a reason.
 */
import { z } from 'zod';
import type { MailboxRequest } from '@/prisma/generated/client';
import { ActionError, type ActionSpec } from '@/lib/audit/action';
import type { AuditContext } from '@/lib/audit/record';
import {
  canDecideRequest,
  canManageMailbox,
  canSubmitRequest,
  canViewRequest,
  type Actor,
} from '@/lib/permissions';
import { getMailboxForActor } from '@/lib/queries/mailboxes';
import { getOrganizationForActor } from '@/lib/queries/organizations';
import { getRequestForActor, type RequestDetail } from '@/lib/queries/requests';
import { checkAddressAvailability } from './availability';
import {
  activationFormData,
  activationProblems,
  activationSchema,
  renewalProblems,
  renewalSchema,
} from './form';
import { applyRenewal, provisionActivation } from './provisioning';
import { nextRequestStatus } from './state-machine';

type Tx = Parameters<NonNullable<ActionSpec<z.ZodType, unknown, unknown>['load']>>[0]['tx'];

const auditOf = (actor: Actor): AuditContext => ({
  actorUserId: actor.userId,
  actorEmail: actor.email,
  actorRole: actor.role,
});

/** Form problems and address availability, as field errors the form shows beside each field. */
async function checkActivation(
  tx: Tx,
  input: z.output<typeof activationSchema>,
  organizationId: string | null,
): Promise<string> {
  const problems = activationProblems(input);
  const { availability, address } = await checkAddressAvailability(tx, {
    localPart: input.localPart,
    domainId: input.domainId,
    organizationId,
  });
  if (availability === 'taken') problems.localPart = 'requests.errors.addressTaken';
  if (availability === 'domain_unavailable') problems.domainId = 'requests.errors.domain';
  if (Object.keys(problems).length > 0 || !address) throw new ActionError('requests.errors.form', problems);
  return address;
}

/**
 * Checks the activation form and the requested address, then files the request as submitted: the
 * one path of the reseller form and the public form. `availabilityFor` is the company whose own
 * domains count (null on the public form); `extraFormData` is stored beside the form's fields.
 */
export async function fileActivationRequest(
  tx: Tx,
  input: z.output<typeof activationSchema>,
  requester: {
    organizationId: string;
    userId?: string;
    availabilityFor: string | null;
    extraFormData?: Record<string, string>;
  },
): Promise<MailboxRequest> {
  const address = await checkActivation(tx, input, requester.availabilityFor);
  return tx.mailboxRequest.create({
    data: {
      kind: 'ACTIVATION',
      status: nextRequestStatus('DRAFT', 'submit'),
      requestedAddress: address,
      domainId: input.domainId,
      plan: input.plan,
      durationYears: input.durationYears,
      requesterOrganizationId: requester.organizationId,
      requesterUserId: requester.userId,
      formData: { ...activationFormData(input), ...requester.extraFormData },
      submittedAt: new Date(),
    },
  });
}

const createActivationInput = activationSchema.extend({ organizationId: z.string().uuid() });
type Org = NonNullable<Awaited<ReturnType<typeof getOrganizationForActor>>>;

export const createActivationSpec: ActionSpec<typeof createActivationInput, Org, { id: string }> = {
  action: 'request.create',
  entityType: 'MailboxRequest',
  input: createActivationInput,
  load: ({ actor, input, tx }) => getOrganizationForActor(tx, actor, input.organizationId),
  authorize: ({ actor, target }) =>
    !!target && target.kind === 'COMPANY' && canSubmitRequest(actor, target.id),
  async run({ actor, input, target, tx }) {
    const request = await fileActivationRequest(tx, input, {
      organizationId: target!.id,
      userId: actor.userId,
      availabilityFor: target!.id,
    });
    return {
      result: { id: request.id },
      entityId: request.id,
      organizationId: target!.id,
      before: null,
      after: request,
    };
  },
};

type Mailbox = NonNullable<Awaited<ReturnType<typeof getMailboxForActor>>>;

export const createRenewalSpec: ActionSpec<typeof renewalSchema, Mailbox, { id: string }> = {
  action: 'request.create',
  entityType: 'MailboxRequest',
  input: renewalSchema,
  load: ({ actor, input, tx }) => getMailboxForActor(tx, actor, input.mailboxId),
  authorize: ({ actor, target }) =>
    !!target && canManageMailbox(actor, target) && canSubmitRequest(actor, target.organizationId),
  async run({ actor, input, target, tx }) {
    const mailbox = target!;
    const problems = renewalProblems(input);
    if (Object.keys(problems).length > 0) throw new ActionError('requests.errors.form', problems);
    if (mailbox.status === 'CEASED') throw new ActionError('requests.errors.mailboxCeased');
    const open = await tx.mailboxRequest.findFirst({
      where: { kind: 'RENEWAL', mailboxId: mailbox.id, status: { in: ['DRAFT', 'SUBMITTED', 'APPROVED'] } },
      select: { id: true },
    });
    if (open) throw new ActionError('requests.errors.renewalOpen');
    const request = await tx.mailboxRequest.create({
      data: {
        kind: 'RENEWAL',
        status: nextRequestStatus('DRAFT', 'submit'),
        requestedAddress: mailbox.address,
        domainId: mailbox.domainId,
        mailboxId: mailbox.id,
        plan: input.plan,
        durationYears: input.durationYears,
        requesterOrganizationId: mailbox.organizationId,
        requesterUserId: actor.userId,
        formData: {
          holderName: [mailbox.holderName, mailbox.holderSurname].filter(Boolean).join(' '),
          holderType: mailbox.holderType,
          vatNumber: mailbox.holderVatNumber ?? '',
          fiscalCode: mailbox.holderFiscalCode ?? '',
          contactEmail: input.contactEmail.toLowerCase(),
          renewalMode: input.renewalMode,
          currentExpiry: mailbox.expiresAt.toISOString(),
          acceptTerms: input.acceptTerms,
        },
        submittedAt: new Date(),
      },
    });
    return {
      result: { id: request.id },
      entityId: request.id,
      organizationId: mailbox.organizationId,
      before: null,
      after: request,
    };
  },
};

const byId = z.object({ id: z.string().uuid() });

/** Loads the request row locked FOR UPDATE, so two approvers cannot both provision it. */
async function lockRequest(tx: Tx, actor: Actor, id: string): Promise<RequestDetail | null> {
  await tx.$queryRaw`SELECT id FROM mailbox_requests WHERE id = ${id}::uuid FOR UPDATE`;
  return getRequestForActor(tx, actor, id);
}

function plain(request: RequestDetail): MailboxRequest {
  const {
    domain: _d,
    mailbox: _m,
    requesterOrganization: _o,
    requesterUser: _u,
    decidedBy: _b,
    ...row
  } = request;
  return row;
}

export interface ApprovalResult {
  id: string;
  kind: 'ACTIVATION' | 'RENEWAL';
  address: string;
  mailboxId: string;
  expiresAt: Date;
  /** ACTIVATION only: the initial password, shown once and never stored in clear */
  password?: string;
}

export const approveRequestSpec: ActionSpec<typeof byId, RequestDetail, ApprovalResult> = {
  action: 'request.approve',
  entityType: 'MailboxRequest',
  input: byId,
  load: ({ actor, input, tx }) => lockRequest(tx, actor, input.id),
  authorize: ({ actor, target }) => !!target && canDecideRequest(actor, target),
  async run({ actor, target, tx }) {
    const request = plain(target!);
    if (request.status !== 'SUBMITTED') throw new ActionError('requests.errors.state');
    const approved = nextRequestStatus(request.status, 'approve');
    const provisioned = nextRequestStatus(approved, 'provision');
    const now = new Date();
    let result: ApprovalResult;
    if (request.kind === 'ACTIVATION') {
      const p = await provisionActivation(tx, request, auditOf(actor), now);
      result = {
        id: request.id,
        kind: 'ACTIVATION',
        address: p.mailbox.address,
        mailboxId: p.mailbox.id,
        expiresAt: p.mailbox.expiresAt,
        password: p.password,
      };
    } else {
      const m = await applyRenewal(tx, request, auditOf(actor), now);
      result = {
        id: request.id,
        kind: 'RENEWAL',
        address: m.address,
        mailboxId: m.id,
        expiresAt: m.expiresAt,
      };
    }
    const after = await tx.mailboxRequest.update({
      where: { id: request.id },
      data: {
        status: provisioned,
        mailboxId: result.mailboxId,
        decidedByUserId: actor.userId,
        decidedAt: now,
        provisionedAt: now,
      },
    });
    return {
      result,
      entityId: request.id,
      organizationId: request.requesterOrganizationId,
      before: request,
      after,
    };
  },
};

const rejectInput = z.object({ id: z.string().uuid(), reason: z.string().trim().min(5).max(1000) });

export const rejectRequestSpec: ActionSpec<typeof rejectInput, RequestDetail, { id: string }> = {
  action: 'request.reject',
  entityType: 'MailboxRequest',
  input: rejectInput,
  load: ({ actor, input, tx }) => lockRequest(tx, actor, input.id),
  authorize: ({ actor, target }) => !!target && canDecideRequest(actor, target),
  async run({ actor, input, target, tx }) {
    const request = plain(target!);
    if (request.status !== 'SUBMITTED') throw new ActionError('requests.errors.state');
    const after = await tx.mailboxRequest.update({
      where: { id: request.id },
      data: {
        status: nextRequestStatus(request.status, 'reject'),
        decisionReason: input.reason,
        decidedByUserId: actor.userId,
        decidedAt: new Date(),
      },
    });
    return {
      result: { id: request.id },
      entityId: request.id,
      organizationId: request.requesterOrganizationId,
      before: request,
      after,
    };
  },
};

const cancelInput = byId;

/** The requester's side withdraws a request not yet decided. */
export const cancelRequestSpec: ActionSpec<typeof cancelInput, RequestDetail, { id: string }> = {
  action: 'request.cancel',
  entityType: 'MailboxRequest',
  input: cancelInput,
  load: ({ actor, input, tx }) => lockRequest(tx, actor, input.id),
  authorize: ({ actor, target }) =>
    !!target && canViewRequest(actor, target) && canSubmitRequest(actor, target.requesterOrganizationId),
  async run({ target, tx }) {
    const request = plain(target!);
    if (request.status !== 'SUBMITTED' && request.status !== 'DRAFT')
      throw new ActionError('requests.errors.state');
    const after = await tx.mailboxRequest.update({
      where: { id: request.id },
      data: { status: nextRequestStatus(request.status, 'cancel') },
    });
    return {
      result: { id: request.id },
      entityId: request.id,
      organizationId: request.requesterOrganizationId,
      before: request,
      after,
    };
  },
};

const scanInput = z.object({
  id: z.string().uuid(),
  relativePath: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  name: z.string().min(1).max(200),
});

/** Records an uploaded signed scan (the file is stored first, by lib/requests/signed-scan.ts). */
export const attachScanSpec: ActionSpec<typeof scanInput, RequestDetail, { id: string }> = {
  action: 'request.attach_scan',
  entityType: 'MailboxRequest',
  input: scanInput,
  load: ({ actor, input, tx }) => lockRequest(tx, actor, input.id),
  authorize: ({ actor, target }) => !!target && canSubmitRequest(actor, target.requesterOrganizationId),
  async run({ input, target, tx }) {
    const request = plain(target!);
    if (request.status !== 'SUBMITTED' && request.status !== 'DRAFT')
      throw new ActionError('requests.errors.state');
    const after = await tx.mailboxRequest.update({
      where: { id: request.id },
      data: {
        signedScanPath: input.relativePath,
        signedScanSha256: input.sha256,
        signedScanName: input.name,
      },
    });
    return {
      result: { id: request.id },
      entityId: request.id,
      organizationId: request.requesterOrganizationId,
      before: { signedScanSha256: request.signedScanSha256 },
      after: { signedScanSha256: after.signedScanSha256, signedScanName: after.signedScanName },
    };
  },
};
