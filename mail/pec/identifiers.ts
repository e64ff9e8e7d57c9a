/**
 * PEC message identifiers (spec §4.1). Format, modelled on the OpenPEC ids real providers use:
 *
 *   opec<version>.<yyyymmddhhmmss>.<random>.<node>@<provider mail domain>
 *
 * - `version`: format tag of this engine, currently `1`;
 * - `yyyymmddhhmmss`: the transaction instant in the provider's local time (as the busta `Date:`);
 * - `random`: 16 lower-case hex digits (64 bits from the CSPRNG), which makes ids unique without
 *   coordination between processes or nodes;
 * - `node`: the emitting node name, `[a-z0-9-]` (default `n1`), useful when reading logs;
 * - domain: the provider's mail domain, whatever the sender's mailbox domain.
 *
 * Ids are returned without angle brackets, as daticert `identificativo` carries them; the
 * `Message-ID:` header wraps them in `<…>`. Receivers must treat ids as opaque.
 */
import { randomHex } from './random-hex';
import { compactLocalTimestamp, defaultTimeZone } from './time';

export const identifierVersion = '1';

export interface IdentifierOptions {
  /** Provider mail domain, e.g. pec.alfa.test. */
  domain: string;
  /** Node name; default `n1`. */
  node?: string;
  timeZone?: string;
}

export function newPecMessageId(now: Date, opts: IdentifierOptions): string {
  const node = (opts.node ?? 'n1').toLowerCase().replace(/[^a-z0-9-]/g, '-');
  return `opec${identifierVersion}.${compactLocalTimestamp(now, opts.timeZone ?? defaultTimeZone)}.${randomHex(8)}.${node}@${opts.domain.toLowerCase()}`;
}

/** `<id>` as the Message-ID / X-Riferimento-Message-ID header value. */
export function angleAddr(id: string): string {
  return id.startsWith('<') ? id : `<${id}>`;
}
