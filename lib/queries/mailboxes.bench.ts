/**
 * Mailbox list at 10,000 mailboxes (one reseller's branch of 20 companies among 10,000 in all), in a
 * dedicated throw-away embedded PostgreSQL. Prints p50/p95 of the list query as the portal runs it
 * (count + page, scoped to the actor) for: first page, address-prefix search, holder-name search,
 * sorted by expiry, deep page — against the `SELECT 1` round trip of the same client (the floor).
 * Target: p95 < 200 ms.
 */
import { startTestDatabase } from '@/lib/db/testing';
import { loadActor } from '@/lib/permissions';
import { createTenantFixture } from '@/lib/testing/tenants';
import { listMailboxes } from './mailboxes';

const total = Number(process.env.BENCH_MAILBOXES ?? 10_000);
const runs = 60;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function timeIt(fn: () => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < 5; i++) await fn(); // warm-up: plans cached, pages in memory
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95) };
}

const surnames = ['rossi', 'bianchi', 'verdi', 'esposito', 'romano', 'colombo', 'ricci', 'marino', 'greco', 'bruno'];
const names = ['mario', 'luca', 'giulia', 'anna', 'marco', 'sara', 'paolo', 'chiara', 'andrea', 'elena'];

async function main() {
  const db = await startTestDatabase();
  try {
    const f = await createTenantFixture(db.prisma);
    // 20 companies under reseller A, one domain each, mailboxes spread evenly
    const companies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => db.prisma.organization.create({ data: { kind: 'COMPANY', name: `Azienda ${i}`, parentId: f.resellerA } })),
    );
    const domains = await Promise.all(
      companies.map((c, i) => db.prisma.domain.create({ data: { name: `pec.azienda${i}.test`, kind: 'COMPANY', organizationId: c.id, verificationState: 'VERIFIED' } })),
    );
    const t0 = performance.now();
    // one INSERT … SELECT: generation is not what we measure
    await db.prisma.$executeRawUnsafe(`
      INSERT INTO mailboxes (id, address, local_part, domain_id, organization_id, holder_type, holder_name, holder_surname,
                             holder_fiscal_code, status, quota_bytes, expires_at, password_hash, updated_at)
      SELECT gen_random_uuid(), lp || '@' || d.name, lp, d.id, d.organization_id, 'NATURAL_PERSON',
             (ARRAY['${names.join("','")}'])[1 + g % 10], (ARRAY['${surnames.join("','")}'])[1 + (g / 10) % 10],
             NULL, (CASE WHEN g % 17 = 0 THEN 'SUSPENDED' ELSE 'ACTIVE' END)::"MailboxStatus", 2147483648,
             now() + (g % 1000) * interval '1 day', 'x', now()
        FROM generate_series(1, ${total}) g
        JOIN LATERAL (SELECT (ARRAY['${names.join("','")}'])[1 + g % 10] || '.' || (ARRAY['${surnames.join("','")}'])[1 + (g / 10) % 10] || g AS lp) l ON true
        JOIN LATERAL (SELECT * FROM domains WHERE id = (ARRAY[${domains.map((d) => `'${d.id}'::uuid`).join(',')}])[1 + g % ${domains.length}]) d ON true`);
    await db.prisma.$executeRawUnsafe('ANALYZE mailboxes');
    console.log(`generated ${total.toLocaleString('en')} mailboxes in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const actor = (await loadActor(db.prisma, f.users.resellerA.id))!;
    const pageSize = 25;
    const deepPage = Math.floor(total / pageSize) - 1;
    const baseline = await timeIt(() => db.prisma.$queryRaw`SELECT 1`);
    const cases: [string, () => Promise<unknown>][] = [
      ['first page (address order)', () => listMailboxes(db.prisma, actor, { page: 1 })],
      ['address prefix "mario.rossi1"', () => listMailboxes(db.prisma, actor, { q: 'mario.rossi1' })],
      ['holder name "bianchi"', () => listMailboxes(db.prisma, actor, { q: 'bianchi' })],
      ['sorted by expiry', () => listMailboxes(db.prisma, actor, { sort: 'expiry' })],
      [`deep page ${deepPage}`, () => listMailboxes(db.prisma, actor, { page: deepPage })],
      ['suspended, by status', () => listMailboxes(db.prisma, actor, { status: 'SUSPENDED', sort: 'status' })],
    ];
    console.log(`baseline SELECT 1: p50 ${baseline.p50.toFixed(2)} ms, p95 ${baseline.p95.toFixed(2)} ms`);
    let worst = 0;
    for (const [name, fn] of cases) {
      const r = await timeIt(fn);
      worst = Math.max(worst, r.p95);
      console.log(`${name.padEnd(32)} p50 ${r.p50.toFixed(2).padStart(7)} ms  p95 ${r.p95.toFixed(2).padStart(7)} ms  (${(r.p95 / baseline.p95).toFixed(1)}× baseline p95)`);
    }
    console.log(`worst p95 ${worst.toFixed(1)} ms — target < 200 ms: ${worst < 200 ? 'met' : 'MISSED'}`);
  } finally {
    await db.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
