/**
 * The portal navigation as data: each entry says who sees it, using the permission predicates.
 * Feature pages add their entry here (the page itself still checks the actor: hiding a link is
 * never the protection).
 */
import type { MessageKey } from '@/lib/i18n';
import { canManageTrust, canSearchLogs, canViewAuditTrail, isAdmin, type Actor } from '@/lib/permissions';

export type NavIcon = 'home' | 'building' | 'users' | 'list' | 'user';

export interface NavItem {
  href: string;
  label: MessageKey;
  icon: NavIcon;
  visible: (actor: Actor) => boolean;
}

export const navigation: NavItem[] = [
  { href: '/dashboard', label: 'nav.dashboard', icon: 'home', visible: () => true },
  { href: '/my-mailbox', label: 'nav.myMailbox', icon: 'list', visible: (a) => a.role === 'MAILBOX_HOLDER' },
  {
    href: '/organizations',
    label: 'nav.organizations',
    icon: 'building',
    visible: (a) => a.role === 'PROVIDER_ADMIN' || a.role === 'RESELLER_ADMIN',
  },
  { href: '/domains', label: 'domains.title', icon: 'building', visible: (a) => isAdmin(a) },
  { href: '/mailboxes', label: 'mailboxes.title', icon: 'list', visible: (a) => isAdmin(a) },
  { href: '/users', label: 'nav.users', icon: 'users', visible: (a) => isAdmin(a) },
  { href: '/requests', label: 'requests.title', icon: 'list', visible: (a) => isAdmin(a) },
  { href: '/log', label: 'nav.logs', icon: 'list', visible: (a) => canSearchLogs(a) },
  { href: '/audit', label: 'nav.audit', icon: 'list', visible: (a) => canViewAuditTrail(a) },
  { href: '/providers', label: 'providers.nav', icon: 'building', visible: (a) => canManageTrust(a) },
  { href: '/certificates', label: 'certificates.nav', icon: 'list', visible: (a) => canManageTrust(a) },
  { href: '/profile', label: 'nav.profile', icon: 'user', visible: () => true },
];

export function navigationFor(actor: Actor): NavItem[] {
  return navigation.filter((item) => item.visible(actor));
}
