/**
 * CSRF check for route handlers that change state: the browser's Origin (or, failing that, Referer)
 * must name the host the request came to. Server actions get this from Next itself.
 */
export function sameOrigin(headers: { get(name: string): string | null }): boolean {
  const host = headers.get('x-forwarded-host') ?? headers.get('host');
  const source = headers.get('origin') ?? headers.get('referer');
  if (!host || !source) return false;
  try {
    return new URL(source).host === host;
  } catch {
    return false;
  }
}
