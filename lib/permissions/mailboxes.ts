/** Who may see and manage PEC mailboxes. A holder sees its own mailbox and changes its password. */
import { isAdmin, type Actor } from './actor';
import { inScope } from './scope';

export interface MailboxRef {
  id: string;
  organizationId: string;
}

export function canViewMailbox(actor: Actor, mailbox: MailboxRef): boolean {
  if (actor.role === 'MAILBOX_HOLDER') return actor.mailboxId === mailbox.id;
  return isAdmin(actor) && inScope(actor, mailbox.organizationId);
}

/** Create in an organization, suspend/reactivate, quota, expiry, password reset, import/export. */
export function canManageMailbox(actor: Actor, mailbox: MailboxRef): boolean {
  return isAdmin(actor) && inScope(actor, mailbox.organizationId);
}

export function canCreateMailbox(actor: Actor, organizationId: string): boolean {
  return isAdmin(actor) && inScope(actor, organizationId);
}

/** The holder changes its own mailbox password; admins of the scope may reset it. */
export function canChangeMailboxPassword(actor: Actor, mailbox: MailboxRef): boolean {
  if (actor.role === 'MAILBOX_HOLDER') return actor.mailboxId === mailbox.id;
  return canManageMailbox(actor, mailbox);
}
