/** Texts of the lifecycle notices written to the outbox (mailbox_notices), in Italian. */
export type NoticeKind = 'REMINDER_60' | 'REMINDER_30' | 'REMINDER_7' | 'EXPIRED' | 'CEASED' | 'RENEWED';

const date = (d: Date, timeZone: string) => new Intl.DateTimeFormat('it-IT', { dateStyle: 'long', timeZone }).format(d);

export function noticeText(
  kind: NoticeKind,
  m: { address: string; expiresAt: Date; renewalMode: 'AUTOMATIC' | 'MANUAL'; newExpiry?: Date; ceasesAt?: Date },
  timeZone: string,
): { subject: string; body: string } {
  const expiry = date(m.expiresAt, timeZone);
  switch (kind) {
    case 'REMINDER_60':
    case 'REMINDER_30':
    case 'REMINDER_7': {
      const days = kind.slice('REMINDER_'.length);
      return {
        subject: `La casella PEC ${m.address} scade fra ${days} giorni`,
        body:
          m.renewalMode === 'AUTOMATIC'
            ? `La casella PEC ${m.address} scade il ${expiry}. È attivo il rinnovo automatico: alla scadenza sarà rinnovata per un anno.`
            : `La casella PEC ${m.address} scade il ${expiry}. Per continuare a usarla presenta il modulo di rinnovo prima della scadenza: dopo, la casella non potrà più inviare messaggi.`,
      };
    }
    case 'EXPIRED':
      return {
        subject: `La casella PEC ${m.address} è scaduta`,
        body: `La casella PEC ${m.address} è scaduta il ${expiry}: puoi ancora leggere i messaggi ma non inviarne. Se non viene rinnovata, cesserà il ${m.ceasesAt ? date(m.ceasesAt, timeZone) : '—'}.`,
      };
    case 'CEASED':
      return {
        subject: `La casella PEC ${m.address} è cessata`,
        body: `La casella PEC ${m.address}, scaduta il ${expiry} e non rinnovata, è cessata.`,
      };
    case 'RENEWED':
      return {
        subject: `La casella PEC ${m.address} è stata rinnovata`,
        body: `La casella PEC ${m.address} è stata rinnovata automaticamente: la nuova scadenza è il ${m.newExpiry ? date(m.newExpiry, timeZone) : '—'}.`,
      };
  }
}
