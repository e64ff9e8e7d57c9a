/** Badge colour of a log outcome. */
export function outcomeTone(outcome: string | null): 'green' | 'red' | 'amber' | 'slate' {
  if (outcome === 'OK') return 'green';
  if (outcome === 'ERROR' || outcome === 'REFUSED') return 'red';
  if (outcome === 'WARNING') return 'amber';
  return 'slate';
}
