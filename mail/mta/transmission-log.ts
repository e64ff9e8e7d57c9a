/**
 * Transmission log events (log dei messaggi, spec §5.3): one record per operation with what
 * auditors search for. The MTA modules only describe events; where they go is the writer's
 * business (the database in production, an array in tests of the MTA logic).
 */
export type TransmissionEventType =
  | 'SUBMISSION'
  | 'ACCETTAZIONE'
  | 'NON_ACCETTAZIONE'
  | 'BUSTA_RELAYED'
  | 'RECEIVED'
  | 'PRESA_IN_CARICO_SENT'
  | 'PRESA_IN_CARICO_RECEIVED'
  | 'AVVENUTA_CONSEGNA_SENT'
  | 'AVVENUTA_CONSEGNA_RECEIVED'
  | 'MANCATA_CONSEGNA_SENT'
  | 'MANCATA_CONSEGNA_RECEIVED'
  | 'ANOMALIA'
  | 'RECEIPT_DELIVERED'
  | 'PREAVVISO_SENT'
  | 'TIMEOUT_SENT'
  | 'VIRUS'
  | 'REFUSED';

export interface TransmissionEvent {
  type: TransmissionEventType;
  /** PEC identificativo of the transaction, when known. */
  identificativo?: string | null;
  /** Client Message-ID of the original. */
  originalMessageId?: string | null;
  sender?: string | null;
  recipient?: string | null;
  /** providerName of the other side. */
  counterpartProvider?: string | null;
  outcome: 'OK' | 'ERROR' | 'REFUSED';
  occurredAt?: Date;
  details?: Record<string, unknown>;
  /**
   * At most one row per (type, identificativo, recipient, outcome): set on events a retried
   * transaction repeats (a busta re-sent after a crash), so the log states each fact once. The
   * outcome is part of the fact: a busta's final refusal (REFUSED) is not its earlier deferrals
   * (ERROR) of the same type. Only `once` rows count: a row written without it is not the fact.
   */
  once?: boolean;
}

export interface TransmissionLogWriter {
  /** Resolves false when a `once` event was already on record and nothing was written. */
  write(event: TransmissionEvent): Promise<boolean>;
}

/** Keeps events in memory: for tests and for a provider run without a database. */
export class MemoryTransmissionLog implements TransmissionLogWriter {
  readonly events: TransmissionEvent[] = [];
  async write(event: TransmissionEvent): Promise<boolean> {
    const same = (e: TransmissionEvent) =>
      e.type === event.type &&
      e.identificativo === event.identificativo &&
      (e.recipient ?? null) === (event.recipient ?? null) &&
      e.outcome === event.outcome;
    if (event.once && this.events.some((e) => e.once === true && same(e))) return false;
    this.events.push({ occurredAt: new Date(), ...event });
    return true;
  }
}
