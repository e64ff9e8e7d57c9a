/**
 * Readable names of audit actions (the trail stores stable codes such as `user.password_reset`).
 * Kept apart from the main dictionary so features add their actions here without touching it.
 * Unknown codes are shown as they are.
 */
import type { Locale } from './index';

const names: Record<string, { it: string; en: string }> = {
  'auth.login': { it: 'Accesso', en: 'Sign-in' },
  'auth.login_failed': { it: 'Accesso non riuscito', en: 'Failed sign-in' },
  'auth.locked': { it: 'Account bloccato per tentativi errati', en: 'Account locked after failed attempts' },
  'auth.logout': { it: 'Uscita', en: 'Sign-out' },
  'seed.create': { it: 'Installazione iniziale', en: 'Initial set-up' },
  'organization.create': { it: 'Organizzazione creata', en: 'Organization created' },
  'organization.update': { it: 'Organizzazione modificata', en: 'Organization changed' },
  'user.create': { it: 'Utente creato', en: 'User created' },
  'user.password_reset': { it: 'Password reimpostata', en: 'Password reset' },
  'user.password_change': { it: 'Password cambiata', en: 'Password changed' },
  'user.set_disabled': { it: 'Utente attivato/disattivato', en: 'User enabled/disabled' },
  'user.totp_enrolment_start': { it: 'Avvio attivazione 2FA', en: '2FA enrolment started' },
  'user.totp_enable': { it: 'Verifica in due passaggi attivata', en: 'Two-step verification on' },
  'user.totp_disable': { it: 'Verifica in due passaggi disattivata', en: 'Two-step verification off' },
  'domain.create': { it: 'Dominio aggiunto', en: 'Domain added' },
  'domain.verify': { it: 'Verifica DNS del dominio', en: 'Domain DNS check' },
  'domain.dns_recheck': { it: 'Ricontrollo DNS: stato cambiato', en: 'DNS re-check: state changed' },
  'domain.update_limit': { it: 'Limite caselle del dominio', en: 'Domain mailbox limit' },
  'mailbox.create': { it: 'Casella creata', en: 'Mailbox created' },
  'mailbox.import': { it: 'Caselle importate da CSV', en: 'Mailboxes imported from CSV' },
  'mailbox.suspend': { it: 'Casella sospesa', en: 'Mailbox suspended' },
  'mailbox.reactivate': { it: 'Casella riattivata', en: 'Mailbox reactivated' },
  'mailbox.password_reset': { it: 'Password casella reimpostata', en: 'Mailbox password reset' },
  'mailbox.password_change': { it: 'Password casella cambiata dal titolare', en: 'Mailbox password changed by the holder' },
  'mailbox.update_quota': { it: 'Spazio casella modificato', en: 'Mailbox storage changed' },
  'mailbox.update_expiry': { it: 'Scadenza casella modificata', en: 'Mailbox expiry changed' },
  'trusted_provider.create': { it: 'Gestore fidato aggiunto', en: 'Trusted provider added' },
  'trusted_provider.update': { it: 'Gestore fidato modificato', en: 'Trusted provider changed' },
  'trusted_provider.set_disabled': { it: 'Gestore fidato disattivato/riattivato', en: 'Trusted provider disabled/enabled' },
  'trusted_provider.import': { it: 'Indice dei gestori importato', en: 'Provider index imported' },
  'trusted_provider.export_own': { it: 'Nostro record dell’indice scaricato', en: 'Own index record downloaded' },
  'certificate.upload': { it: 'Certificato di firma caricato', en: 'Signing certificate uploaded' },
  'certificate.activate': { it: 'Certificato di firma attivato', en: 'Signing certificate activated' },
  'user.recovery_codes_regenerate': { it: 'Nuovi codici di recupero', en: 'New recovery codes' },
};

export function auditActionName(locale: Locale, action: string): string {
  return names[action]?.[locale] ?? action;
}
