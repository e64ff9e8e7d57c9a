/**
 * Trusted-provider mutations as audited action specs (wired in actions.ts, tested in specs.test.ts):
 * add / edit a manual entry, disable / re-enable any entry, import the official index LDIF. Each
 * goes through lib/ops/provider-index-store, which NOTIFYs the running MTAs in the same transaction.
 */
import { z } from 'zod';
import { ActionError, type ActionSpec } from '@/lib/audit/action';
import { optionalText } from '@/lib/audit/form-fields';
import type { Prisma } from '@/lib/db';
import {
  importProviderIndex,
  ProviderIndexImportError,
  saveManualProvider,
  setTrustedProviderDisabled,
  TrustedProviderError,
  type ProviderIndexImportResult,
} from '@/lib/ops/provider-index-store';
import { canManageTrust } from '@/lib/permissions';

/** store codes (key-mismatch) → dictionary keys (keyMismatch) */
const camel = (code: string): string => code.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());

type Tx = Prisma.TransactionClient;

/** What the audit trail keeps of a provider: no certificate bodies, their fingerprints. */
export interface ProviderSnapshot {
  id: string;
  providerName: string;
  providerUnit: string | null;
  mailReceipt: string;
  source: 'LDIF' | 'MANUAL';
  isSelf: boolean;
  disabled: boolean;
  domains: string[];
  certificates: string[];
}

export async function providerSnapshot(tx: Tx, id: string): Promise<ProviderSnapshot | null> {
  const p = await tx.trustedProvider.findUnique({
    where: { id },
    include: { domains: { select: { domain: true }, orderBy: { domain: 'asc' } }, certificates: { select: { sha1: true } } },
  });
  if (!p) return null;
  return {
    id: p.id,
    providerName: p.providerName,
    providerUnit: p.providerUnit,
    mailReceipt: p.mailReceipt,
    source: p.source,
    isSelf: p.isSelf,
    disabled: p.disabled,
    domains: p.domains.map((d) => d.domain),
    certificates: p.certificates.map((c) => c.sha1),
  };
}

/** Store errors → the form's messages (beside the field they concern). */
function asActionError(err: unknown): never {
  if (err instanceof TrustedProviderError) {
    const key = `providers.errors.${camel(err.code)}`;
    throw new ActionError(key, err.field ? { [err.field]: key } : undefined);
  }
  throw err;
}

/** Domains typed one per line, or separated by commas or spaces. */
const domainList = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(/[\s,;]+/).filter(Boolean) : v),
  z.array(z.string().max(253)).min(1, 'providers.errors.badDomain').max(500),
);

const providerFields = {
  providerName: z.string().trim().min(2).max(200),
  providerUnit: optionalText(200),
  mailReceipt: z.string().trim().toLowerCase().regex(/^[^\s@<>]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'providers.errors.badMailReceipt'),
  domains: domainList,
  certificatesPem: optionalText(200_000),
};

const addInput = z.object(providerFields);

export const addProviderSpec: ActionSpec<typeof addInput, never, ProviderSnapshot> = {
  action: 'trusted_provider.create',
  entityType: 'TrustedProvider',
  input: addInput,
  authorize: ({ actor }) => canManageTrust(actor),
  async run({ input, tx }) {
    const saved = await saveManualProvider(tx, input).catch(asActionError);
    const after = (await providerSnapshot(tx, saved.id))!;
    return { result: after, entityId: saved.id, before: null, after };
  },
};

const editInput = z.object({ id: z.string().uuid(), ...providerFields });

export const editProviderSpec: ActionSpec<typeof editInput, ProviderSnapshot, ProviderSnapshot> = {
  action: 'trusted_provider.update',
  entityType: 'TrustedProvider',
  input: editInput,
  load: ({ input, tx }) => providerSnapshot(tx, input.id),
  authorize: ({ actor }) => canManageTrust(actor),
  async run({ input, target, tx }) {
    await saveManualProvider(tx, input, target!.id).catch(asActionError);
    const after = (await providerSnapshot(tx, target!.id))!;
    return { result: after, entityId: after.id, after };
  },
};

const disableInput = z.object({ id: z.string().uuid(), disabled: z.enum(['true', 'false']).transform((v) => v === 'true') });

export const setProviderDisabledSpec: ActionSpec<typeof disableInput, ProviderSnapshot, ProviderSnapshot> = {
  action: 'trusted_provider.set_disabled',
  entityType: 'TrustedProvider',
  input: disableInput,
  load: ({ input, tx }) => providerSnapshot(tx, input.id),
  authorize: ({ actor }) => canManageTrust(actor),
  async run({ input, target, tx }) {
    await setTrustedProviderDisabled(tx, target!.id, input.disabled).catch(asActionError);
    const after = (await providerSnapshot(tx, target!.id))!;
    return { result: after, entityId: after.id, after };
  },
};

// the official index is a few hundred kB; the limit only stops absurd uploads
const importInput = z.object({ ldif: z.string().min(1).max(20_000_000) });

export const importIndexSpec: ActionSpec<typeof importInput, never, ProviderIndexImportResult> = {
  action: 'trusted_provider.import',
  entityType: 'TrustedProvider',
  input: importInput,
  authorize: ({ actor }) => canManageTrust(actor),
  async run({ input, tx }) {
    try {
      const result = await importProviderIndex(tx, input.ldif);
      return {
        result,
        entityId: 'index',
        before: { replaced: result.replaced },
        after: { providers: result.providers, domains: result.domains, certificates: result.certificates, problems: result.problems.slice(0, 50) },
      };
    } catch (err) {
      if (err instanceof ProviderIndexImportError) throw new ActionError('providers.errors.importEmpty', { ldif: 'providers.errors.importEmpty' });
      throw err;
    }
  },
};
