/**
 * Content-Transfer-Encoding decoders. Tolerant: base64 with stray characters or padding in the
 * middle (concatenated chunks) and quoted-printable with broken escapes still decode, and the
 * damage is reported so the caller can list it as a problem.
 */

export interface Decoded {
  bytes: Buffer;
  problem?: string;
}

const b64 = new Int16Array(256).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  .split('')
  .forEach((c, i) => (b64[c.charCodeAt(0)] = i));
// URL-safe alphabet seen from some webmail encoders.
b64[0x2d] = 62;
b64[0x5f] = 63;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

export function decodeBase64(input: Uint8Array): Decoded {
  // Fast path: alphabet and whitespace only, padding only at the very end.
  let clean = true;
  let lastData = input.length - 1;
  while (lastData >= 0 && (isSpace(input[lastData]) || input[lastData] === 0x3d)) lastData--;
  for (let i = 0; i <= lastData; i++) {
    const c = input[i];
    if (!isSpace(c) && (c === 0x2d || c === 0x5f || b64[c] < 0)) {
      clean = false;
      break;
    }
  }
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (clean) return { bytes: Buffer.from(buf.toString('latin1'), 'base64') };

  const out = Buffer.allocUnsafe(Math.ceil((input.length * 3) / 4));
  let n = 0;
  let acc = 0;
  let bits = 0;
  let bad = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c === 0x3d) {
      // Padding ends a quantum; anything after it starts a fresh one.
      acc = 0;
      bits = 0;
      continue;
    }
    const v = b64[c];
    if (v < 0) {
      if (!isSpace(c)) bad++;
      continue;
    }
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  return {
    bytes: out.subarray(0, n),
    problem:
      bad > 0
        ? `base64 body has ${bad} invalid characters (ignored)`
        : 'base64 body has padding inside the data',
  };
}

function hex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

export function decodeQuotedPrintable(input: Uint8Array): Decoded {
  const out = Buffer.allocUnsafe(input.length);
  let n = 0;
  let bad = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c !== 0x3d) {
      out[n++] = c;
      continue;
    }
    // Soft line break: "=" then optional trailing blanks then CRLF or LF.
    let j = i + 1;
    while (j < input.length && (input[j] === 0x20 || input[j] === 0x09)) j++;
    if (j >= input.length) {
      i = j;
      continue;
    }
    if (input[j] === 0x0a || (input[j] === 0x0d && input[j + 1] === 0x0a)) {
      i = input[j] === 0x0d ? j + 1 : j;
      continue;
    }
    const h = i + 2 < input.length ? hex(input[i + 1]) : -1;
    const l = h >= 0 ? hex(input[i + 2]) : -1;
    if (h >= 0 && l >= 0) {
      out[n++] = (h << 4) | l;
      i += 2;
    } else {
      bad++;
      out[n++] = c;
    }
  }
  return {
    bytes: out.subarray(0, n),
    problem: bad > 0 ? `quoted-printable body has ${bad} malformed escapes (kept literally)` : undefined,
  };
}

/** Decodes per Content-Transfer-Encoding; identity encodings return a view, not a copy. */
export function decodeTransferEncoding(body: Buffer, encoding: string): Decoded {
  switch (encoding) {
    case 'base64':
      return decodeBase64(body);
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    case '':
    case '7bit':
    case '8bit':
    case 'binary':
      return { bytes: body };
    default:
      return { bytes: body, problem: `unknown Content-Transfer-Encoding "${encoding}" (body taken as is)` };
  }
}
