/**
 * The DNS records a domain owner publishes so that the domain can carry PEC mailboxes here:
 * MX to our reception point, SPF allowing our MX to send, and a TXT token proving control
 * (either on the domain itself or on _pec-verify.<domain>).
 */
import { randomBytes } from 'node:crypto';

export const verificationPrefix = 'pec-verification=';
export const verificationLabel = '_pec-verify';

export interface DnsRecordToPublish {
  type: 'MX' | 'TXT';
  name: string;
  value: string;
  /** MX preference */
  priority?: number;
  purpose: 'mx' | 'spf' | 'verification';
}

/** A fresh, unguessable verification token (URL- and DNS-safe). */
export function newVerificationToken(): string {
  return randomBytes(18).toString('base64url');
}

export function spfRecordFor(mxHostname: string): string {
  return `v=spf1 mx a:${mxHostname} -all`;
}

export function recordsToPublish(domain: string, token: string, mxHostname: string): DnsRecordToPublish[] {
  return [
    { type: 'MX', name: domain, value: mxHostname, priority: 10, purpose: 'mx' },
    { type: 'TXT', name: domain, value: spfRecordFor(mxHostname), purpose: 'spf' },
    { type: 'TXT', name: `${verificationLabel}.${domain}`, value: `${verificationPrefix}${token}`, purpose: 'verification' },
  ];
}

/** A lower-case DNS name of at least two labels, e.g. pec.azienda.it. */
export const domainNamePattern = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
