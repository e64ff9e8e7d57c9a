/**
 * Prisma CLI configuration. Prisma 6.19 with the JS schema engine and the pg driver adapter works
 * offline (the classic engines would be downloaded). `prisma migrate dev/deploy` do not work
 * through the adapter (prisma/orm#27403): migrations are applied by lib/db/migrations.ts instead.
 */
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { defineConfig } from 'prisma/config';

// `prisma generate` reads env("DATABASE_URL") but never connects: a placeholder lets it run on a clean clone.
process.env.DATABASE_URL ??= 'postgresql://pec@127.0.0.1:5432/pec';

export default defineConfig({
  engine: 'js',
  experimental: { adapter: true },
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  async adapter() {
    return new PrismaPg({ connectionString: process.env.DATABASE_URL });
  },
});
