/**
 * next-auth (v4) configuration: one Credentials provider (e-mail + password, then the TOTP or
 * recovery code when enrolled, see login.ts), sessions as signed JWT cookies holding only the
 * user id — role, scope and the disabled flag are re-read from the database on every request
 * (lib/session.ts), so a change of role or a disabled account takes effect at once.
 */
import { createHash } from 'node:crypto';
import type { NextAuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db';
import { clientIpFromHeaders, recordAuditEvent } from '@/lib/audit/record';
import { authenticate } from './login';
import { getAuthSecret } from './secret';

/** Session lifetime: a working day; a new login after that. */
export const sessionMaxAgeSeconds = 12 * 3600;

/**
 * A short digest of the password hash, carried in the session token: when the password changes
 * (reset by an admin, or changed elsewhere) every older session stops matching and is signed out.
 */
export function passwordFingerprint(passwordHash: string): string {
  return createHash('sha256').update(passwordHash).digest('base64url').slice(0, 22);
}

function headerGetter(headers: unknown): { get(name: string): string | null } {
  if (headers && typeof (headers as Headers).get === 'function') return headers as Headers;
  const record = (headers ?? {}) as Record<string, string | string[] | undefined>;
  return {
    get: (name) => {
      const v = record[name.toLowerCase()];
      return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
    },
  };
}

let cached: NextAuthOptions | undefined;

export function getAuthOptions(): NextAuthOptions {
  if (cached) return cached;
  const config = getConfig();
  // next-auth v4 builds its own URLs (sign-out redirect, CSRF) from NEXTAUTH_URL.
  process.env.NEXTAUTH_URL ??= config.portal.url;
  cached = {
    secret: getAuthSecret(config),
    session: { strategy: 'jwt', maxAge: sessionMaxAgeSeconds },
    pages: { signIn: '/login', error: '/login' },
    providers: [
      CredentialsProvider({
        name: 'password',
        credentials: { email: {}, password: {}, code: {} },
        async authorize(credentials, req) {
          const headers = headerGetter(req?.headers);
          const result = await authenticate(getPrisma(), {
            email: credentials?.email ?? '',
            password: credentials?.password ?? '',
            code: credentials?.code || undefined,
            ip: clientIpFromHeaders(headers),
            userAgent: headers.get('user-agent'),
          });
          // The reason reaches the login form as signIn()'s `error` (invalid | locked | totp_required | totp_invalid).
          if (!result.ok) throw new Error(result.reason);
          return {
            id: result.user.id,
            email: result.user.email,
            name: result.user.displayName ?? result.user.email,
            pwv: passwordFingerprint(result.user.passwordHash),
          };
        },
      }),
    ],
    events: {
      async signOut({ token }) {
        if (!token?.sub) return;
        const user = await getPrisma().user.findUnique({ where: { id: token.sub } });
        if (!user) return;
        await recordAuditEvent(
          getPrisma(),
          { actorUserId: user.id, actorEmail: user.email, actorRole: user.role },
          { action: 'auth.logout', entityType: 'User', entityId: user.id, organizationId: user.organizationId },
        );
      },
    },
    callbacks: {
      jwt({ token, user }) {
        if (user) {
          token.sub = user.id;
          token.pwv = (user as { pwv?: string }).pwv;
        }
        return token;
      },
      session({ session, token }) {
        if (session.user) Object.assign(session.user, { id: token.sub, pwv: token.pwv });
        return session;
      },
    },
  };
  return cached;
}
