/**
 * Mail from our spool to our own domains (the accettazione to our sender, a busta between two of
 * our mailboxes, notices) goes straight to our reception point in-process: the same decisions as
 * over SMTP (RCPT check, then receive), without a TCP round trip to ourselves, a second Haraka
 * transaction and its logging. Answers in the relay's terms so the spool treats both alike; a thrown
 * error is a temporary failure and the spool retries.
 */
import type { RelayResult } from './relay';
import type { RelayTarget } from './routing';
import type { ReceptionPoint } from './reception';

export function localDelivery(
  reception: () => ReceptionPoint,
  ownInbound: RelayTarget,
): (envelope: { from: string; to: string[] }, data: Buffer) => Promise<RelayResult> {
  return async (envelope, data) => {
    const point = reception();
    const accepted: string[] = [];
    const rejected: RelayResult['rejected'] = [];
    for (const rcpt of envelope.to) {
      if (await point.acceptsRecipient(rcpt, envelope.from)) accepted.push(rcpt);
      else rejected.push({ address: rcpt, code: 550, response: '550 5.1.1 mailbox unknown' });
    }
    if (accepted.length === 0)
      return { target: ownInbound, accepted, rejected, response: '550 5.1.1 no valid recipient' };
    const result = await point.receive({ from: envelope.from, to: accepted }, data);
    if (!result.accept) {
      const response = `550 ${result.reason ?? '5.7.1 refused'}`;
      return {
        target: ownInbound,
        accepted: [],
        rejected: [...rejected, ...accepted.map((address) => ({ address, code: 550, response }))],
        response,
      };
    }
    return { target: ownInbound, accepted, rejected, response: '250 delivered locally' };
  };
}
