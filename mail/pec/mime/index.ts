/** Byte-accurate MIME reading for the PEC engine. */
export { readMime, decodeBody, decodeText, walkEntities, maxMimeDepth, maxMimeEntities } from './reader';
export type { MimeEntity, MimeMessage } from './reader';
export { Headers, readHeaderBlock, maxHeaderFields, maxHeaderValueLength } from './headers';
export type { HeaderField, HeaderBlock } from './headers';
export { parseStructured } from './params';
export type { StructuredValue } from './params';
export { decodeEncodedWords } from './encoded-words';
export { decodeCharset, decodeUtf8OrLatin1 } from './charset';
export { decodeBase64, decodeQuotedPrintable, decodeTransferEncoding } from './transfer-encoding';
