/** Mailbox reads within the actor's scope (the mailbox pages build on these). */
import type { Prisma, PrismaClient } from '@/lib/db';
import { mailboxWhereForActor, type Actor } from '@/lib/permissions';
import { isUuid } from './organizations';

export async function getMailboxForActor(db: PrismaClient | Prisma.TransactionClient, actor: Actor, id: string) {
  if (!isUuid(id)) return null;
  return db.mailbox.findFirst({ where: { AND: [{ id }, mailboxWhereForActor(actor)] } });
}

export async function findMailboxByAddressForActor(db: PrismaClient | Prisma.TransactionClient, actor: Actor, address: string) {
  return db.mailbox.findFirst({ where: { AND: [{ address: address.trim().toLowerCase() }, mailboxWhereForActor(actor)] } });
}
