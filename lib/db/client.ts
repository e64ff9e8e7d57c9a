/**
 * PrismaClient over the pg driver adapter (the only engine that works offline with Prisma 6.19).
 * getPrisma() is the process-wide client for the current database URL, cached on globalThis so
 * Next.js dev hot reloads reuse one connection pool instead of opening a new one per reload.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { getConfig } from '../config';
import { PrismaClient } from '../../prisma/generated/client';

export { PrismaClient };

/** A new client of its own (the caller disconnects it). */
export function createPrisma(url: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
}

interface DbGlobals {
  pecDatabaseUrl?: string;
  pecPrisma?: { url: string; client: PrismaClient };
}
const globals = globalThis as typeof globalThis & DbGlobals;

/** Sets the URL getPrisma() connects to (ensureDatabase does, once it knows it). */
export function setDatabaseUrl(url: string): void {
  globals.pecDatabaseUrl = url;
}

/** The URL getPrisma() uses: the one set by ensureDatabase, else DATABASE_URL from the configuration. */
export function currentDatabaseUrl(): string {
  const url = globals.pecDatabaseUrl ?? getConfig().databaseUrl;
  if (!url) throw new Error('No database URL: call ensureDatabase() first, or set DATABASE_URL.');
  return url;
}

/** The shared client for currentDatabaseUrl(). */
export function getPrisma(): PrismaClient {
  const url = currentDatabaseUrl();
  if (globals.pecPrisma?.url !== url) {
    void globals.pecPrisma?.client.$disconnect();
    globals.pecPrisma = { url, client: createPrisma(url) };
  }
  return globals.pecPrisma.client;
}

/** Closes the shared client, if any (before stopping the database, or at exit). */
export async function disconnectPrisma(): Promise<void> {
  const current = globals.pecPrisma;
  globals.pecPrisma = undefined;
  await current?.client.$disconnect();
}
