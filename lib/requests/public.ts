/**
 * The public activation form (no login): the request is filed under the provider organization and,
 * on approval, becomes a new customer company. The submitter gets a secret access token (only its
 * SHA-256 is stored) that lets them download the filled modulo and upload the signed scan.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { PrismaClient } from '@/lib/db';
import { ActionError } from '@/lib/audit/action';
import { recordAuditEvent, type AuditContext } from '@/lib/audit/record';
import { activationFormData, activationSchema } from './form';
import { fileActivationRequest } from './specs';
import type { StoredScan } from './signed-scan';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

export type PublicSubmission =
  | { ok: true; id: string; token: string }
  | { ok: false; messageKey: string; fieldErrors?: Record<string, string> };

export async function submitPublicActivation(
  db: PrismaClient,
  raw: unknown,
  context: AuditContext,
): Promise<PublicSubmission> {
  const parsed = activationSchema.safeParse(raw);
  if (!parsed.success) {
    const fieldErrors: Record<string, string> = {};
    for (const issue of parsed.error.issues)
      fieldErrors[String(issue.path[0] ?? '_')] ??= 'requests.errors.required';
    return { ok: false, messageKey: 'requests.errors.form', fieldErrors };
  }
  const input = parsed.data;
  const token = randomBytes(24).toString('base64url');
  try {
    const id = await db.$transaction(async (tx) => {
      const provider = await tx.organization.findFirst({ where: { kind: 'PROVIDER' }, select: { id: true } });
      if (!provider) throw new ActionError('requests.errors.unavailable');
      const request = await fileActivationRequest(tx, input, {
        organizationId: provider.id,
        availabilityFor: null,
        extraFormData: { publicAccessSha256: sha256(token) },
      });
      await recordAuditEvent(tx, context, {
        action: 'request.create_public',
        entityType: 'MailboxRequest',
        entityId: request.id,
        before: null,
        after: { ...request, formData: activationFormData(input) },
        organizationId: provider.id,
      });
      return request.id;
    });
    return { ok: true, id, token };
  } catch (err) {
    if (err instanceof ActionError)
      return { ok: false, messageKey: err.messageKey, fieldErrors: err.fieldErrors };
    throw err;
  }
}

/** The request behind a public link, or null when the id or the token does not match. */
export async function findPublicRequest(db: PrismaClient, id: string, token: string | undefined) {
  if (!token || !/^[0-9a-f-]{36}$/i.test(id)) return null;
  const request = await db.mailboxRequest.findUnique({
    where: { id },
    include: { domain: { select: { name: true } } },
  });
  const stored = (request?.formData as { publicAccessSha256?: string } | undefined)?.publicAccessSha256;
  if (!request || !stored) return null;
  const a = Buffer.from(stored, 'hex');
  const b = Buffer.from(sha256(token), 'hex');
  return a.length === b.length && timingSafeEqual(a, b) ? request : null;
}

export async function attachPublicScan(
  db: PrismaClient,
  id: string,
  token: string,
  scan: StoredScan,
  context: AuditContext,
): Promise<boolean> {
  const request = await findPublicRequest(db, id, token);
  if (!request || request.status !== 'SUBMITTED') return false;
  await db.$transaction(async (tx) => {
    await tx.mailboxRequest.update({
      where: { id },
      data: { signedScanPath: scan.relativePath, signedScanSha256: scan.sha256, signedScanName: scan.name },
    });
    await recordAuditEvent(tx, context, {
      action: 'request.attach_scan',
      entityType: 'MailboxRequest',
      entityId: id,
      before: { signedScanSha256: request.signedScanSha256 },
      after: { signedScanSha256: scan.sha256, signedScanName: scan.name },
      organizationId: request.requesterOrganizationId,
    });
  });
  return true;
}
