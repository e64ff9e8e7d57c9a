/**
 * Re-issues the current session cookie with the new password fingerprint after the user changed
 * their own password, so that session stays signed in while every other session of theirs ends.
 */
import { cookies } from 'next/headers';
import { decode, encode } from 'next-auth/jwt';
import { getAuthOptions, passwordFingerprint, sessionMaxAgeSeconds } from './options';

export async function refreshSessionFingerprint(passwordHash: string): Promise<void> {
  const jar = await cookies();
  const cookie = jar.getAll().find((c) => /^(__Secure-)?next-auth\.session-token$/.test(c.name));
  if (!cookie) return;
  const secret = getAuthOptions().secret!;
  const token = await decode({ token: cookie.value, secret });
  if (!token) return;
  const value = await encode({ token: { ...token, pwv: passwordFingerprint(passwordHash) }, secret, maxAge: sessionMaxAgeSeconds });
  jar.set(cookie.name, value, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: cookie.name.startsWith('__Secure-'),
    maxAge: sessionMaxAgeSeconds,
  });
}
