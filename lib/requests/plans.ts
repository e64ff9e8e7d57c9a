/** The plans a holder may choose on the modulo: storage quota per mailbox. */
export interface Plan {
  id: string;
  /** shown on the form and the PDF */
  name: string;
  quotaBytes: bigint;
}

const gib = 1024n * 1024n * 1024n;

export const plans: readonly Plan[] = [
  { id: 'base', name: 'PEC Base 1 GB', quotaBytes: 1n * gib },
  { id: 'professionale', name: 'PEC Professionale 2 GB', quotaBytes: 2n * gib },
  { id: 'business', name: 'PEC Business 5 GB', quotaBytes: 5n * gib },
  { id: 'archivio', name: 'PEC Archivio 10 GB', quotaBytes: 10n * gib },
];

export const planIds = plans.map((p) => p.id) as [string, ...string[]];

export function findPlan(id: string): Plan | undefined {
  return plans.find((p) => p.id === id);
}
