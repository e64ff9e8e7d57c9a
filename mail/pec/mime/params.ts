/**
 * Structured header values with parameters (Content-Type, Content-Disposition): RFC 2045 syntax,
 * RFC 2231 continuations and charsets (`filename*0*=utf-8''...`), and the RFC 2047 words that
 * Outlook puts inside quoted file names. Tolerant of missing quotes and stray semicolons.
 */
import { decodeCharset } from './charset';
import { decodeEncodedWords } from './encoded-words';

export interface StructuredValue {
  /** Lower-cased main value, e.g. `multipart/signed`. */
  value: string;
  /** Lower-cased parameter names → decoded values. */
  params: Record<string, string>;
}

/** Splits on `;` outside quoted strings. */
function splitParams(input: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (quoted && ch === '\\' && i + 1 < input.length) {
      cur += ch + input[++i];
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === ';' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function unquote(raw: string): string {
  const v = raw.trim();
  if (!v.startsWith('"')) return v;
  let out = '';
  for (let i = 1; i < v.length; i++) {
    const ch = v[i];
    if (ch === '\\' && i + 1 < v.length) out += v[++i];
    else if (ch === '"') break;
    else out += ch;
  }
  return out;
}

function percentDecode(s: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(s.charCodeAt(i) & 0xff);
  }
  return Buffer.from(bytes);
}

export function parseStructured(raw: string | undefined): StructuredValue {
  if (!raw) return { value: '', params: {} };
  const [main, ...rest] = splitParams(raw);
  const params: Record<string, string> = {};
  // name → RFC 2231 sections (index → {value, extended})
  const sections = new Map<string, Map<number, { value: string; extended: boolean }>>();
  for (const segment of rest) {
    const eq = segment.indexOf('=');
    if (eq < 0) continue;
    const name = segment.slice(0, eq).trim().toLowerCase();
    if (!name) continue;
    const value = unquote(segment.slice(eq + 1));
    const m = /^(.+?)\*(?:(\d+)\*?|)$/.exec(name);
    if (m && name.includes('*')) {
      const base = m[1];
      const index = m[2] === undefined ? 0 : Number(m[2]);
      const extended = name.endsWith('*');
      let map = sections.get(base);
      if (!map) sections.set(base, (map = new Map()));
      if (!map.has(index)) map.set(index, { value, extended });
    } else if (!(name in params)) {
      params[name] = decodeEncodedWords(value);
    }
  }
  for (const [base, map] of sections) {
    const ordered = [...map.entries()].sort((a, b) => a[0] - b[0]).map(([, s]) => s);
    let charset = '';
    const bytes: Buffer[] = [];
    ordered.forEach((s, i) => {
      let v = s.value;
      if (s.extended) {
        if (i === 0) {
          const q = /^([^']*)'[^']*'(.*)$/s.exec(v);
          if (q) {
            charset = q[1];
            v = q[2];
          }
        }
        bytes.push(percentDecode(v));
      } else bytes.push(Buffer.from(v, 'utf8'));
    });
    // An RFC 2231 value wins over a plain one of the same name: it is the precise form.
    params[base] = decodeCharset(Buffer.concat(bytes), charset || 'utf-8').text;
  }
  return { value: main.trim().toLowerCase(), params };
}
