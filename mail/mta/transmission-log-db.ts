/** Transmission log rows in the partitioned `transmission_log` table (see lib/db/transmission-log.ts). */
import type { PrismaClient } from '@/lib/db/client';
import type { TransmissionEvent, TransmissionLogWriter } from './transmission-log';

export class DatabaseTransmissionLog implements TransmissionLogWriter {
  constructor(private readonly prisma: PrismaClient) {}

  async write(event: TransmissionEvent): Promise<boolean> {
    const row = {
      occurredAt: event.occurredAt ?? new Date(),
      eventType: event.type,
      identificativo: event.identificativo ?? null,
      originalMessageId: event.originalMessageId ?? null,
      sender: event.sender ?? null,
      recipient: event.recipient ?? null,
      counterpartProvider: event.counterpartProvider ?? null,
      outcome: event.outcome,
      details: event.details ?? null,
    };
    if (!event.once || !row.identificativo) {
      await this.prisma.transmissionLog.create({
        data: { ...row, details: (row.details ?? undefined) as object | undefined },
      });
      return true;
    }
    // One statement, so the check and the insert see the same snapshot (the identificativo index
    // makes the check cheap across all month partitions).
    const written = await this.prisma.$executeRaw`
      INSERT INTO transmission_log (occurred_at, event_type, identificativo, original_message_id, sender, recipient,
                                    counterpart_provider, outcome, details)
      SELECT ${row.occurredAt}, ${row.eventType}, ${row.identificativo}, ${row.originalMessageId}, ${row.sender},
             ${row.recipient}, ${row.counterpartProvider}, ${row.outcome}, ${row.details === null ? null : JSON.stringify(row.details)}::jsonb
      WHERE NOT EXISTS (
        SELECT 1 FROM transmission_log
        WHERE identificativo = ${row.identificativo} AND event_type = ${row.eventType}
          AND recipient IS NOT DISTINCT FROM ${row.recipient}
      )`;
    return written > 0;
  }
}
