/** Transmission log rows in the partitioned `transmission_log` table (see lib/db/transmission-log.ts). */
import type { PrismaClient } from '@/lib/db/client';
import type { TransmissionEvent, TransmissionLogWriter } from './transmission-log';

export class DatabaseTransmissionLog implements TransmissionLogWriter {
  constructor(private readonly prisma: PrismaClient) {}

  async write(event: TransmissionEvent): Promise<void> {
    await this.prisma.transmissionLog.create({
      data: {
        occurredAt: event.occurredAt ?? new Date(),
        eventType: event.type,
        identificativo: event.identificativo ?? null,
        originalMessageId: event.originalMessageId ?? null,
        sender: event.sender ?? null,
        recipient: event.recipient ?? null,
        counterpartProvider: event.counterpartProvider ?? null,
        outcome: event.outcome,
        details: (event.details ?? undefined) as object | undefined,
      },
    });
  }
}
