/**
 * Where the delivery point puts a message for one of our mailboxes: written into the Maildir by
 * the MTA itself (MTA_DELIVERY=maildir, maildir.ts) or handed to Dovecot over LMTP
 * (MTA_DELIVERY=lmtp, lmtp-delivery.ts). The reception point only sees this interface: a store
 * either confirms the message durably stored, refuses it for good (the busta earns a mancata
 * consegna), or throws TemporaryStoreError (the busta's sender is answered 4xx and retries; no
 * receipt is issued).
 */
import { isStored, QuotaExceededError, storeInMaildir } from './maildir';

export interface StoreRequest {
  /** Mailbox quota in bytes (0 or undefined: unlimited); a store that enforces its own may ignore it. */
  quotaBytes?: number;
  /** Bytes already used, when known (saves the Maildir store a scan). */
  usedBytes?: number;
  /**
   * Stable identity of this delivery (identificativo + recipient): a keyed delivery already stored
   * is recognised by `isStored`, so a busta retried after a crash is not stored twice.
   */
  deliveryKey?: string;
}

/** Why a store refused a message for good. */
export type StoreRefusal = 'over-quota' | 'unknown-mailbox' | 'rejected';

export type StoreOutcome = { stored: true } | { stored: false; refusal: StoreRefusal; detail: string };

/** The store could not take the message now (4xx, unreachable): try the whole busta again later. */
export class TemporaryStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TemporaryStoreError';
  }
}

export interface MessageStore {
  store(recipient: string, raw: Buffer, request?: StoreRequest): Promise<StoreOutcome>;
  /** Whether the keyed delivery is already stored; asked on the retry path only. */
  isStored(recipient: string, deliveryKey: string): Promise<boolean>;
  close?(): Promise<void>;
}

/** The MTA writes the Maildir itself, checking the quota from the known usage. */
export class MaildirMessageStore implements MessageStore {
  constructor(private readonly root: string) {}

  async store(recipient: string, raw: Buffer, request: StoreRequest = {}): Promise<StoreOutcome> {
    try {
      await storeInMaildir(this.root, recipient, raw, request);
      return { stored: true };
    } catch (err) {
      if (err instanceof QuotaExceededError) return { stored: false, refusal: 'over-quota', detail: err.message };
      throw err;
    }
  }

  isStored(recipient: string, deliveryKey: string): Promise<boolean> {
    return isStored(this.root, recipient, deliveryKey);
  }
}
