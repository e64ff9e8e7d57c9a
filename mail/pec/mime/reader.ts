/**
 * Byte-accurate MIME reader. Every entity is a view (subarray) of the input buffer, so the exact
 * signed bytes of a multipart/signed first part are available and a 30 MB message is never copied.
 * It never throws on bad input: damage (missing boundaries, bad encodings, runaway nesting) is
 * listed in `problems` and the reader keeps whatever structure it could recover.
 */
import { decodeCharset } from './charset';
import { readHeaderBlock, type Headers } from './headers';
import { parseStructured } from './params';
import { decodeTransferEncoding } from './transfer-encoding';

/** Limits against hostile nesting and part counts. */
export const maxMimeDepth = 40;
export const maxMimeEntities = 5000;

export interface MimeEntity {
  /** Dotted position like IMAP section numbers: `` (root), `1`, `1.2`; embedded messages add `.m`. */
  path: string;
  headers: Headers;
  /** `type/subtype`, lower case; `text/plain` when absent or unparsable. */
  mimeType: string;
  /** Content-Type parameters (lower-case names). */
  params: Record<string, string>;
  /** Content-Disposition type (`inline`, `attachment`) or null. */
  disposition: string | null;
  /** Content-Disposition `filename` or Content-Type `name`, decoded. */
  filename: string | null;
  /** Lower-case Content-Transfer-Encoding, `` when absent. */
  transferEncoding: string;
  /** The whole entity: header section, blank line and body, exactly as in the input. */
  raw: Buffer;
  /** The body as transmitted (still transfer-encoded). */
  body: Buffer;
  /** Children of a multipart. */
  parts: MimeEntity[];
  /** Parsed embedded message of a message/rfc822 part. */
  message: MimeEntity | null;
}

export interface MimeMessage {
  root: MimeEntity;
  /** Human-readable descriptions of every irregularity met while reading. */
  problems: string[];
}

interface Context {
  problems: string[];
  count: number;
}

function label(path: string): string {
  return path === '' ? 'message' : `part ${path}`;
}

interface Delimiter {
  /** Offset of the `--boundary` line. */
  at: number;
  /** Offset where the content before it ends (its preceding line break excluded). */
  contentEnd: number;
  /** Offset after the delimiter line (its line break included). */
  next: number;
  close: boolean;
}

/**
 * Finds boundary delimiter lines in buf[start, end): `--boundary` at the start of a line, followed
 * by `--` (close), or by optional blanks and the line end. A longer token that merely begins with
 * the boundary is not a delimiter.
 */
function findDelimiters(buf: Buffer, start: number, end: number, boundary: string): Delimiter[] {
  const region = buf.subarray(start, end);
  const needle = Buffer.from(`--${boundary}`, 'latin1');
  const found: Delimiter[] = [];
  let from = 0;
  while (from <= region.length - needle.length) {
    const i = region.indexOf(needle, from);
    if (i < 0) break;
    from = i + 1;
    if (i > 0 && region[i - 1] !== 0x0a) continue;
    let j = i + needle.length;
    let close = false;
    if (region[j] === 0x2d && region[j + 1] === 0x2d) {
      close = true;
      j += 2;
    }
    while (j < region.length && (region[j] === 0x20 || region[j] === 0x09)) j++;
    if (j < region.length && region[j] === 0x0d) j++;
    if (j < region.length && region[j] !== 0x0a) {
      if (!close) continue; // e.g. `--boundaryX`: a different, longer boundary
      // After a close delimiter anything may follow on the line (tolerated).
      const nl = region.indexOf(0x0a, j);
      j = nl < 0 ? region.length : nl;
    }
    const next = j < region.length ? j + 1 : region.length;
    let contentEnd = i;
    if (contentEnd > 0 && region[contentEnd - 1] === 0x0a) contentEnd--;
    if (contentEnd > 0 && region[contentEnd - 1] === 0x0d) contentEnd--;
    found.push({ at: start + i, contentEnd: start + contentEnd, next: start + next, close });
    if (close) break;
    from = next;
  }
  return found;
}

function readEntity(
  buf: Buffer,
  start: number,
  end: number,
  path: string,
  depth: number,
  ctx: Context,
): MimeEntity {
  ctx.count++;
  const block = readHeaderBlock(buf, start, end);
  for (const p of block.problems) ctx.problems.push(`${label(path)}: ${p}`);
  const { headers, bodyStart } = block;

  const ct = parseStructured(headers.get('content-type'));
  let mimeType = ct.value;
  if (!/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(mimeType)) {
    if (headers.has('content-type'))
      ctx.problems.push(
        `${label(path)}: unparsable Content-Type "${headers.get('content-type')?.slice(0, 80)}"`,
      );
    mimeType = 'text/plain';
  }
  const cd = headers.has('content-disposition') ? parseStructured(headers.get('content-disposition')) : null;
  const entity: MimeEntity = {
    path,
    headers,
    mimeType,
    params: ct.params,
    disposition: cd?.value || null,
    filename: cd?.params.filename ?? ct.params.name ?? null,
    transferEncoding: (headers.get('content-transfer-encoding') ?? '').toLowerCase().replace(/["']/g, ''),
    raw: buf.subarray(start, end),
    body: buf.subarray(Math.min(bodyStart, end), end),
    parts: [],
    message: null,
  };

  if (depth >= maxMimeDepth || ctx.count >= maxMimeEntities) {
    if (mimeType.startsWith('multipart/') || mimeType === 'message/rfc822') {
      ctx.problems.push(`${label(path)}: nesting or part count limit reached, content not read`);
    }
    return entity;
  }

  if (mimeType.startsWith('multipart/')) {
    readMultipart(entity, buf, bodyStart, end, depth, ctx);
  } else if (mimeType === 'message/rfc822' || mimeType === 'message/global') {
    const childPath = path === '' ? 'm' : `${path}.m`;
    if (['', '7bit', '8bit', 'binary'].includes(entity.transferEncoding)) {
      entity.message = readEntity(buf, Math.min(bodyStart, end), end, childPath, depth + 1, ctx);
    } else {
      // Encoded message/rfc822 is forbidden (RFC 2046 §5.2.1) but sent anyway: read the decoded copy.
      ctx.problems.push(
        `${label(path)}: message/rfc822 with Content-Transfer-Encoding ${entity.transferEncoding}`,
      );
      const decoded = decodeTransferEncoding(entity.body, entity.transferEncoding).bytes;
      entity.message = readEntity(decoded, 0, decoded.length, childPath, depth + 1, ctx);
    }
  }
  return entity;
}

function readMultipart(
  entity: MimeEntity,
  buf: Buffer,
  bodyStart: number,
  end: number,
  depth: number,
  ctx: Context,
): void {
  const boundary = entity.params.boundary;
  const where = label(entity.path);
  if (!boundary) {
    ctx.problems.push(`${where}: ${entity.mimeType} without boundary parameter`);
    return;
  }
  const delimiters = findDelimiters(buf, Math.min(bodyStart, end), end, boundary);
  if (delimiters.length === 0) {
    ctx.problems.push(`${where}: boundary "${boundary.slice(0, 70)}" never found, no parts`);
    return;
  }
  if (delimiters[0].close) ctx.problems.push(`${where}: closing boundary before any part`);
  const last = delimiters[delimiters.length - 1];
  if (!last.close) ctx.problems.push(`${where}: closing boundary missing (message truncated?)`);
  for (let k = 0; k < delimiters.length; k++) {
    const d = delimiters[k];
    if (d.close) break;
    const following = delimiters[k + 1];
    const partEnd = following ? following.contentEnd : end;
    const partPath = entity.path === '' ? String(k + 1) : `${entity.path}.${k + 1}`;
    if (ctx.count >= maxMimeEntities) {
      ctx.problems.push(`${where}: more than ${maxMimeEntities} MIME entities, the rest ignored`);
      break;
    }
    entity.parts.push(readEntity(buf, d.next, Math.max(d.next, partEnd), partPath, depth + 1, ctx));
  }
}

/** Reads a whole message. Never throws for any input bytes. */
export function readMime(raw: Buffer): MimeMessage {
  const ctx: Context = { problems: [], count: 0 };
  const root = readEntity(raw, 0, raw.length, '', 0, ctx);
  return { root, problems: ctx.problems };
}

/** The body with its Content-Transfer-Encoding removed; problems are appended to `problems`. */
export function decodeBody(entity: MimeEntity, problems?: string[]): Buffer {
  const d = decodeTransferEncoding(entity.body, entity.transferEncoding);
  if (d.problem && problems) problems.push(`${label(entity.path)}: ${d.problem}`);
  return d.bytes;
}

/** The body as text, honouring the declared charset. */
export function decodeText(entity: MimeEntity, problems?: string[]): string {
  const d = decodeCharset(decodeBody(entity, problems), entity.params.charset);
  if (d.problem && problems) problems.push(`${label(entity.path)}: ${d.problem}`);
  return d.text;
}

/** Depth-first walk over parts and (when `intoMessages`) embedded messages. */
export function* walkEntities(entity: MimeEntity, intoMessages = false): Generator<MimeEntity> {
  yield entity;
  for (const p of entity.parts) yield* walkEntities(p, intoMessages);
  if (intoMessages && entity.message) yield* walkEntities(entity.message, true);
}
