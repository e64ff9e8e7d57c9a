/**
 * The declarative wrapper every mutation goes through: validate input (zod) → load the target
 * within the actor's scope → authorize → run → write the audit event, all in ONE transaction, so
 * a failed action leaves neither changes nor a trail entry, and a change never lacks its entry.
 *
 * This file has no Next.js imports (tests call executeAction directly); lib/audit/server.ts wraps it
 * for server actions (actor from the session, IP from the request headers, messages translated).
 */
import type { z } from 'zod';
import type { Prisma, PrismaClient } from '@/lib/db';
import type { Actor } from '@/lib/permissions';
import { recordAuditEvent, type AuditContext } from './record';

type Tx = Prisma.TransactionClient;

/** A failure the user should read (message key of the dictionary), rolling the action back. */
export class ActionError extends Error {
  constructor(
    readonly messageKey: string,
    readonly fieldErrors?: Record<string, string>,
  ) {
    super(messageKey);
    this.name = 'ActionError';
  }
}

/** What run() reports for the trail. */
export interface ActionOutcome<R> {
  result: R;
  entityId: string;
  /** organization whose admins/auditors see the entry (default: the target's, else the actor's) */
  organizationId?: string | null;
  /** default: the loaded target */
  before?: unknown;
  after?: unknown;
}

export interface ActionSpec<S extends z.ZodType, T, R> {
  /** audit action name, e.g. organization.create */
  action: string;
  /** audit entity type, e.g. Organization */
  entityType: string;
  input: S;
  /** loads the target (scoped!); null means it does not exist for this actor → not_found */
  load?: (c: { actor: Actor; input: z.output<S>; tx: Tx }) => Promise<T | null>;
  /** false → not_found: never reveal that an object outside the actor's reach exists */
  authorize: (c: { actor: Actor; input: z.output<S>; target: T | undefined; tx: Tx }) => boolean | Promise<boolean>;
  run: (c: { actor: Actor; input: z.output<S>; target: T | undefined; tx: Tx }) => Promise<ActionOutcome<R>>;
}

export type ActionResult<R> =
  | { ok: true; data: R }
  | { ok: false; error: 'invalid' | 'not_found' | 'failed'; messageKey: string; fieldErrors?: Record<string, string> };

function fieldErrorsOf(error: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.join('.') || '_';
    // a message that is a dictionary key (`mailboxes.badFiscalCode`) is the more precise reason
    if (/^[a-z]\w*\.[\w.]+$/.test(issue.message)) out[key] ??= issue.message;
    out[key] ??= issue.code === 'too_small' && 'minimum' in issue ? `too_small:${String(issue.minimum)}` : issue.code;
  }
  return out;
}

class NotFound extends Error {}

export async function executeAction<S extends z.ZodType, T, R>(
  spec: ActionSpec<S, T, R>,
  actor: Actor,
  rawInput: unknown,
  context: Omit<AuditContext, 'actorUserId' | 'actorEmail' | 'actorRole'>,
  db: PrismaClient,
): Promise<ActionResult<R>> {
  const parsed = spec.input.safeParse(rawInput);
  if (!parsed.success) {
    return { ok: false, error: 'invalid', messageKey: 'errors.invalid', fieldErrors: fieldErrorsOf(parsed.error) };
  }
  const input = parsed.data as z.output<S>;
  try {
    const data = await db.$transaction(async (tx) => {
      let target: T | undefined;
      if (spec.load) {
        const loaded = await spec.load({ actor, input, tx });
        if (loaded === null) throw new NotFound();
        target = loaded;
      }
      if (!(await spec.authorize({ actor, input, target, tx }))) throw new NotFound();
      const outcome = await spec.run({ actor, input, target, tx });
      const targetOrg = (target as { organizationId?: string } | undefined)?.organizationId;
      await recordAuditEvent(
        tx,
        { ...context, actorUserId: actor.userId, actorEmail: actor.email, actorRole: actor.role },
        {
          action: spec.action,
          entityType: spec.entityType,
          entityId: outcome.entityId,
          before: outcome.before !== undefined ? outcome.before : target,
          after: outcome.after,
          organizationId:
            outcome.organizationId !== undefined ? outcome.organizationId : (targetOrg ?? actor.organizationId),
        },
      );
      return outcome.result;
    });
    return { ok: true, data };
  } catch (err) {
    if (err instanceof NotFound) return { ok: false, error: 'not_found', messageKey: 'errors.notFound' };
    if (err instanceof ActionError) {
      return { ok: false, error: 'failed', messageKey: err.messageKey, fieldErrors: err.fieldErrors };
    }
    // unique constraint: someone (or something) already has that name/address
    if ((err as { code?: string }).code === 'P2002') {
      return { ok: false, error: 'failed', messageKey: 'errors.duplicate' };
    }
    throw err;
  }
}
