/**
 * Reading the header block of a message or MIME part, just enough for the builders: raw fields
 * (kept byte for byte when copied), unfolded values, RFC 2047 / RFC 2231 decoding, and the header /
 * body split. Works on Buffers by offset so large bodies are never copied.
 */

export interface HeaderField {
  /** Field name as written. */
  name: string;
  /** Lower-cased name for lookups (Sogei writes X-Tiporicevuta). */
  key: string;
  /** The whole field including folding and its final line end, as in the source. */
  raw: string;
  /** Unfolded value, surrounding whitespace trimmed. */
  value: string;
}

export interface HeaderSplit {
  fields: HeaderField[];
  /** Offset of the first body byte (after the empty line), or the length when there is no body. */
  bodyStart: number;
  /** Offset where the header block ends (before the empty line). */
  headerEnd: number;
}

/** Splits header block and body; tolerates LF-only line ends. */
export function splitHeaders(data: Buffer, start = 0, end = data.length): HeaderSplit {
  let headerEnd = end;
  let bodyStart = end;
  // The empty line may be the very first line (no headers at all).
  if (data[start] === 0x0d && data[start + 1] === 0x0a) {
    headerEnd = start;
    bodyStart = start + 2;
  } else if (data[start] === 0x0a) {
    headerEnd = start;
    bodyStart = start + 1;
  } else {
    for (let i = data.indexOf(0x0a, start); i !== -1 && i < end; i = data.indexOf(0x0a, i + 1)) {
      const next = data[i + 1];
      if (next === 0x0a) {
        headerEnd = i + 1;
        bodyStart = i + 2;
        break;
      }
      if (next === 0x0d && data[i + 2] === 0x0a) {
        headerEnd = i + 1;
        bodyStart = i + 3;
        break;
      }
    }
  }
  const text = data.toString('latin1', start, headerEnd);
  const fields: HeaderField[] = [];
  for (const m of text.matchAll(/^([^\s:][^:\r\n]*):([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)(\r?\n|$)/gm)) {
    const name = m[1].trim();
    fields.push({ name, key: name.toLowerCase(), raw: m[0], value: m[2].replace(/\r?\n(?=[ \t])/g, '').trim() });
  }
  return { fields, bodyStart: Math.min(bodyStart, end), headerEnd };
}

export function headerValue(fields: readonly HeaderField[], name: string): string | undefined {
  const key = name.toLowerCase();
  return fields.find((f) => f.key === key)?.value;
}

function decodeCharset(bytes: Buffer, charset: string): string {
  try {
    return new TextDecoder(charset.toLowerCase() === 'iso-8859-1' ? 'windows-1252' : charset).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/** Decodes RFC 2047 encoded-words; raw 8-bit bytes (read as latin1) are re-read as UTF-8 when valid. */
export function decodeWords(value: string): string {
  const decoded = value
    .replace(/(=\?[^?]+\?[bBqQ]\?[^?]*\?=)\s+(?==\?[^?]+\?[bBqQ]\?[^?]*\?=)/g, '$1')
    .replace(/=\?([^?*]+)(?:\*[^?]*)?\?([bBqQ])\?([^?]*)\?=/g, (_w, charset: string, enc: string, text: string) => {
      const bytes =
        enc.toUpperCase() === 'B'
          ? Buffer.from(text, 'base64')
          : Buffer.from(
              text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
              'latin1',
            );
      return decodeCharset(bytes, charset);
    });
  if (/[^\u0000-\u007f]/.test(decoded) && /^[\u0000-\u00ff]*$/.test(decoded)) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(decoded, 'latin1'));
    } catch {
      return decoded;
    }
  }
  return decoded;
}

/** Parameters of a structured field (Content-Type, Content-Disposition), names lower-cased. */
export function headerParams(value: string): { type: string; params: Record<string, string> } {
  const semi = value.indexOf(';');
  const type = (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase();
  const params: Record<string, string> = {};
  const continued: Record<string, string[]> = {};
  for (const m of value.slice(semi === -1 ? value.length : semi).matchAll(/;\s*([^=\s;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g)) {
    const name = m[1].toLowerCase();
    let v = m[2].trim();
    if (v.startsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    const rfc2231 = /^([^*]+)\*(\d+)?(\*)?$/.exec(name);
    if (rfc2231) {
      // RFC 2231: name*=charset'lang'pct-encoded, possibly split as name*0*, name*1*…
      const encoded = rfc2231[3] !== undefined || rfc2231[2] === undefined;
      const piece = encoded ? v : encodeURIComponent(v);
      (continued[rfc2231[1]] ??= [])[Number(rfc2231[2] ?? 0)] = piece;
      continue;
    }
    params[name] = decodeWords(v);
  }
  for (const [name, pieces] of Object.entries(continued)) {
    const joined = pieces.join('');
    const m = /^([^']*)'[^']*'(.*)$/.exec(joined);
    const charset = m?.[1] || 'utf-8';
    const pct = m ? m[2] : joined;
    const bytes = Buffer.from(pct.replace(/%([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    params[name] = decodeCharset(bytes, charset);
  }
  return { type, params };
}

/** Addresses (addr-spec only) from an address-list header value. */
export function addressesOf(value: string | undefined): string[] {
  if (!value) return [];
  const noComments = value.replace(/\((?:[^()\\]|\\.)*\)/g, ' ');
  const out: string[] = [];
  // Split on commas outside quotes and angle brackets.
  let depth = 0;
  let quoted = false;
  let current = '';
  for (const ch of noComments) {
    if (ch === '"' && !current.endsWith('\\')) quoted = !quoted;
    else if (!quoted && ch === '<') depth++;
    else if (!quoted && ch === '>') depth--;
    if (ch === ',' && !quoted && depth === 0) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  out.push(current);
  return out
    .map((a) => {
      const angle = /<([^<>]*)>\s*$/.exec(a);
      return (angle ? angle[1] : a.replace(/^[^:]*:/, '').replace(/;$/, '')).trim();
    })
    .filter((a) => a.includes('@'));
}
