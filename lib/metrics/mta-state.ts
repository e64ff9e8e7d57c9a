/**
 * The MTA's state as the provider admin and Prometheus see it, derived from the shared database
 * (and the spool folder when this process can read it): every figure comes from an indexed read,
 * so the dashboard and a 15 s scrape stay cheap however large the log grows.
 */
import { promises as fs } from 'node:fs';
import type { PrismaClient } from '@/lib/db/client';
import type { Actor } from '@/lib/permissions/actor';
import { canViewMtaState } from '@/lib/permissions/mta';
import { localDay } from './local-day';

/** Transmission-log events counted per local day (see mail/mta/transmission-log.ts). */
export const countedEvents = [
  'ACCETTAZIONE',
  'NON_ACCETTAZIONE',
  'BUSTA_RELAYED',
  'RECEIVED',
  'AVVENUTA_CONSEGNA_SENT',
  'AVVENUTA_CONSEGNA_RECEIVED',
  'MANCATA_CONSEGNA_SENT',
  'MANCATA_CONSEGNA_RECEIVED',
  'PREAVVISO_SENT',
  'TIMEOUT_SENT',
  'ANOMALIA',
  'VIRUS',
] as const;
export type CountedEvent = (typeof countedEvents)[number];

export interface MtaState {
  at: Date;
  /** start of the local day the "today" figures cover */
  dayStart: Date;
  queue: {
    /** recipients still waiting: not yet relayed, or certified and without consegna or failure */
    recipientsPending: number;
    /** entries in the outbound spool folder; null when this process cannot read it */
    spoolEntries: number | null;
    total: number;
  };
  today: {
    /** ricevute di accettazione issued */
    accepted: number;
    /** ricevute di non accettazione issued */
    refused: number;
    /** deliveries into our mailboxes (ricevute di avvenuta consegna issued) */
    delivered: number;
    /** mancate consegne issued by our reception point, plus 24 h timeouts of our senders' messages */
    failed: number;
    anomalies: number;
    /** every counted event type, for Prometheus */
    events: Record<CountedEvent, number>;
  };
  overdue: {
    /** certified recipients past the 12 h deadline without presa in carico or consegna */
    past12h: number;
    /** certified recipients past the 24 h deadline whose mancata consegna is not sent yet */
    past24h: number;
  };
  signingCertificate: { subject: string; notAfter: Date; daysLeft: number } | null;
}

export interface MtaStateOptions {
  timeZone: string;
  /** the MTA's spool folder; unreadable or absent here (portal on another host): spoolEntries null */
  spoolDir?: string;
  now?: Date;
}

async function countSpoolEntries(dir: string | undefined): Promise<number | null> {
  if (!dir) return null;
  try {
    // one .msg file per queued message (mail/mta/spool-file.ts), or one .json envelope in the layout
    // an MTA not yet restarted after the upgrade still has; .eml, .sent and .tmp files are not entries
    return (await fs.readdir(dir)).filter((name) => name.endsWith('.msg') || name.endsWith('.json')).length;
  } catch {
    return null;
  }
}

async function countRecipientsPending(db: PrismaClient): Promise<number> {
  // Ordinary (non-certified) recipients end in RELAYED: no receipt ever comes back for them.
  return db.pecRecipient.count({
    where: {
      OR: [{ state: 'ACCEPTED' }, { certified: true, state: { in: ['RELAYED', 'TAKEN_IN_CHARGE'] } }],
    },
  });
}

async function countEventsToday(db: PrismaClient, start: Date, end: Date): Promise<Record<CountedEvent, number>> {
  // (event_type, occurred_at) index: one range per type, in this month's partition only
  const rows = await db.$queryRaw<{ event_type: string; n: bigint }[]>`
    SELECT event_type, count(*) AS n FROM transmission_log
    WHERE event_type = ANY(${[...countedEvents]}::text[]) AND occurred_at >= ${start} AND occurred_at < ${end}
    GROUP BY event_type`;
  const events = Object.fromEntries(countedEvents.map((e) => [e, 0])) as Record<CountedEvent, number>;
  for (const row of rows) events[row.event_type as CountedEvent] = Number(row.n);
  return events;
}

async function countOverdue(db: PrismaClient, now: Date): Promise<MtaState['overdue']> {
  const [past12h, past24h] = await Promise.all([
    db.pecRecipient.count({ where: { certified: true, state: { in: ['ACCEPTED', 'RELAYED'] }, preavvisoDueAt: { lte: now } } }),
    db.pecRecipient.count({
      where: { certified: true, state: { in: ['ACCEPTED', 'RELAYED', 'TAKEN_IN_CHARGE'] }, mancataConsegnaDueAt: { lte: now } },
    }),
  ]);
  return { past12h, past24h };
}

async function activeCertificate(db: PrismaClient, now: Date): Promise<MtaState['signingCertificate']> {
  const cert = await db.providerCertificate.findFirst({
    where: { active: true },
    orderBy: { activatedAt: 'desc' },
    select: { subject: true, notAfter: true },
  });
  if (!cert) return null;
  return { ...cert, daysLeft: Math.floor((cert.notAfter.getTime() - now.getTime()) / 86_400_000) };
}

export async function readMtaState(db: PrismaClient, options: MtaStateOptions): Promise<MtaState> {
  const at = options.now ?? new Date();
  const day = localDay(at, options.timeZone);
  const [recipientsPending, spoolEntries, events, overdue, signingCertificate] = await Promise.all([
    countRecipientsPending(db),
    countSpoolEntries(options.spoolDir),
    countEventsToday(db, day.start, day.end),
    countOverdue(db, at),
    activeCertificate(db, at),
  ]);
  return {
    at,
    dayStart: day.start,
    queue: { recipientsPending, spoolEntries, total: recipientsPending + (spoolEntries ?? 0) },
    today: {
      accepted: events.ACCETTAZIONE,
      refused: events.NON_ACCETTAZIONE,
      delivered: events.AVVENUTA_CONSEGNA_SENT,
      failed: events.MANCATA_CONSEGNA_SENT + events.TIMEOUT_SENT,
      anomalies: events.ANOMALIA,
      events,
    },
    overdue,
    signingCertificate,
  };
}

/** readMtaState behind the permission layer: null for anyone but the provider admin. */
export async function readMtaStateFor(actor: Pick<Actor, 'role'>, db: PrismaClient, options: MtaStateOptions): Promise<MtaState | null> {
  return canViewMtaState(actor) ? readMtaState(db, options) : null;
}
