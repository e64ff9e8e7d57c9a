/**
 * Before/after copies for the audit trail: plain JSON, with secrets left out (password hashes, TOTP
 * secrets, recovery codes are recorded only as "changed", never as values).
 */
const secretKeys = new Set(['passwordHash', 'totpSecret', 'recoveryCodeHashes', 'privateKeyPem']);

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export function auditSnapshot(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(auditSnapshot);
  if (typeof value === 'object') {
    const out: { [key: string]: JsonValue } = {};
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined) continue;
      out[key] = secretKeys.has(key) ? '[secret]' : auditSnapshot(v);
    }
    return out;
  }
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  return String(value);
}
