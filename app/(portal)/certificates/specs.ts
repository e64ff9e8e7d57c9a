/**
 * Our signing certificates as audited action specs: upload (PEM certificate + key, or PKCS#12 and
 * its password), either activated at once (first import or rotation) or staged as the next one,
 * and activation of a staged certificate. The checks are those of cert:import / cert:rotate
 * (lib/certificates); the audit trail records the certificate's facts, never its key.
 */
import { z } from 'zod';
import { ActionError, type ActionSpec } from '@/lib/audit/action';
import { checkbox, optionalText } from '@/lib/audit/form-fields';
import {
  activateSigningCertificate,
  CertificateCheckError,
  CertificateStoreError,
  importSigningCertificate,
  Pkcs12Error,
  readPkcs12,
  rotateSigningCertificate,
  signingMaterialFromPem,
  stageSigningCertificate,
  type SigningMaterial,
  type StoredCertificate,
} from '@/lib/certificates';
import { canManageTrust } from '@/lib/permissions';

/** store codes (key-mismatch) → dictionary keys (keyMismatch) */
const camel = (code: string): string => code.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());

const uploadInput = z.discriminatedUnion('format', [
  z.object({
    format: z.literal('pem'),
    certPem: z.string().min(1, 'certificates.errors.unreadableCertificate').max(100_000),
    keyPem: z.string().min(1, 'certificates.errors.unreadableKey').max(100_000),
    chainPem: optionalText(200_000),
    label: optionalText(120),
    activate: checkbox,
  }),
  z.object({
    format: z.literal('p12'),
    p12Base64: z.string().min(1, 'certificates.errors.p12').max(400_000),
    password: z.string().max(500).default(''),
    label: optionalText(120),
    activate: checkbox,
  }),
]);

type UploadInput = z.output<typeof uploadInput>;

function materialOf(input: UploadInput): SigningMaterial {
  try {
    return input.format === 'p12'
      ? readPkcs12(Buffer.from(input.p12Base64, 'base64'), input.password)
      : signingMaterialFromPem(input.certPem, input.keyPem, input.chainPem);
  } catch (err) {
    if (err instanceof Pkcs12Error) throw new ActionError('certificates.errors.p12', { p12Base64: 'certificates.errors.p12' });
    throw new ActionError('certificates.errors.unreadableCertificate', { certPem: 'certificates.errors.unreadableCertificate' });
  }
}

/** Check and store failures → the portal's messages. */
function asActionError(err: unknown): never {
  if (err instanceof CertificateCheckError || err instanceof CertificateStoreError) {
    const key = `certificates.errors.${camel(err.code)}`;
    const field = err instanceof CertificateCheckError && err.code === 'unreadable-key' ? 'keyPem' : undefined;
    throw new ActionError(key, field ? { [field]: key } : undefined);
  }
  throw err;
}

export interface UploadOutcome {
  stored: StoredCertificate;
  /** the certificate that stopped signing (rotation), if any */
  retired: StoredCertificate | null;
}

/** serviceAddress: the address the certificate must name (PEC_SERVICE_ADDRESS of the configuration). */
export function uploadCertificateSpec(serviceAddress: () => string): ActionSpec<typeof uploadInput, never, UploadOutcome> {
  return {
    action: 'certificate.upload',
    entityType: 'ProviderCertificate',
    input: uploadInput,
    authorize: ({ actor }) => canManageTrust(actor),
    async run({ input, tx }) {
      const material = materialOf(input);
      const options = { serviceAddress: serviceAddress(), label: input.label };
      let outcome: UploadOutcome;
      try {
        if (!input.activate) outcome = { stored: await stageSigningCertificate(tx, material, options), retired: null };
        else if (await tx.providerCertificate.findFirst({ where: { active: true }, select: { id: true } })) {
          const r = await rotateSigningCertificate(tx, material, options);
          outcome = { stored: r.activated, retired: r.retired };
        } else outcome = { stored: await importSigningCertificate(tx, material, options), retired: null };
      } catch (err) {
        asActionError(err);
      }
      return { result: outcome, entityId: outcome.stored.id, before: outcome.retired, after: outcome.stored };
    },
  };
}

const idInput = z.object({ id: z.string().uuid() });

export const activateCertificateSpec: ActionSpec<typeof idInput, StoredCertificate, UploadOutcome> = {
  action: 'certificate.activate',
  entityType: 'ProviderCertificate',
  input: idInput,
  load: ({ input, tx }) =>
    tx.providerCertificate.findUnique({
      where: { id: input.id },
      select: { id: true, label: true, sha1: true, subject: true, issuer: true, notBefore: true, notAfter: true, active: true, activatedAt: true, overlapUntil: true },
    }),
  authorize: ({ actor }) => canManageTrust(actor),
  async run({ target, tx }) {
    const r = await activateSigningCertificate(tx, target!.id).catch(asActionError);
    return { result: { stored: r.activated, retired: r.retired }, entityId: r.activated.id, before: { previous: r.retired, staged: target }, after: r.activated };
  },
};
