/**
 * Plain-data inputs and outputs shared by every builder, so the MTA can call them with what it
 * has (message bytes, SMTP envelope, provider identity, signer, clock) and store what they return.
 */
import type { Daticert, DaticertDestinatario, TipoRicevuta } from '../daticert';
import type { Signer } from '../smime-sign';

/** Who is emitting: the provider running this engine. */
export interface ProviderIdentity {
  /** gestore-emittente, e.g. "Alfa PEC S.p.A." (must match the certificate CN or O). */
  name: string;
  /** Provider mail domain, e.g. pec.alfa.test: used in ids and the service address. */
  domain: string;
  /** From: of every system message; default posta-certificata@<domain>. */
  serviceAddress?: string;
  /** Node name carried in message ids. */
  node?: string;
  /** Time zone of the legal time printed in texts and daticert; default Europe/Rome. */
  timeZone?: string;
}

/** Everything a builder needs besides the message data. */
export interface BuildContext {
  provider: ProviderIdentity;
  signer: Signer;
  /** The transaction instant (one per transaction, spec §5.4). */
  now: Date;
}

/** An original recipient as the access point classified it. */
export interface PecRecipient {
  address: string;
  /** certificato = PEC domain in the provider index; esterno = ordinary mail. */
  tipo: DaticertDestinatario['tipo'];
  /** Header it appeared in; Cc recipients always get a sintetica receipt. */
  field?: 'to' | 'cc';
}

/**
 * Facts about the certified transaction that every receipt restates. The access point derives them
 * from the original (describeOriginal); the other side reads them back from the busta's daticert
 * (factsFromDaticert).
 */
export interface TransactionFacts {
  mittente: string;
  destinatari: DaticertDestinatario[];
  risposte: string;
  oggetto: string;
  /** PEC msgid of the busta, no angle brackets. */
  identificativo: string;
  /** Client Message-ID with angle brackets, copied byte for byte. */
  msgid: string;
  /** Receipt type the sender asked for. */
  ricevuta: TipoRicevuta;
}

export type PecMessageKind =
  | 'busta-trasporto'
  | 'accettazione'
  | 'non-accettazione'
  | 'non-accettazione-virus'
  | 'presa-in-carico'
  | 'avvenuta-consegna'
  | 'mancata-consegna'
  | 'mancata-consegna-virus'
  | 'preavviso-mancata-consegna-12h'
  | 'mancata-consegna-24h'
  | 'rilevazione-virus'
  | 'busta-anomalia';

export interface BuiltMessage {
  kind: PecMessageKind;
  /** Message-ID of this message, without angle brackets. */
  messageId: string;
  /** The signed message, in order; the original's bytes are referenced, not copied. */
  chunks: Buffer[];
  /** Total byte length of chunks. */
  size: number;
  /** Certification data carried (absent only for the busta di anomalia). */
  daticert?: Daticert;
  /** Transaction facts restated (absent for the busta di anomalia, whose origin is unknown). */
  facts?: TransactionFacts;
  /** Suggested SMTP envelope: reverse-path and forward-paths. */
  envelope: { from: string; to: string[] };
}

/** The message as one Buffer (a full copy: prefer writing `chunks` for large messages). */
export function messageBytes(m: BuiltMessage): Buffer {
  return Buffer.concat(m.chunks, m.size);
}
