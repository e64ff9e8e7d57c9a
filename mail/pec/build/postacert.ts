/**
 * The original as carried in postacert.eml (spec §2.3): unchanged except Message-ID replaced by
 * the PEC msgid and X-Riferimento-Message-ID set to the client's. Only the header block is
 * rewritten; the body is a view on the caller's Buffer.
 */
import { CRLF, toCrlf } from '../mime-write';
import { splitHeaders } from './headers';

const fieldRe = (name: string): RegExp => new RegExp(`^${name}:[^\\r\\n]*(?:\\r\\n[ \\t][^\\r\\n]*)*\\r\\n`, 'gim');

export function postacertOf(original: Buffer, identificativo: string, clientMsgid: string): Buffer[] {
  const data = toCrlf(original);
  const { headerEnd, bodyStart } = splitHeaders(data);
  let head = data.toString('latin1', 0, headerEnd);
  if (head && !head.endsWith(CRLF)) head += CRLF;
  head = head.replace(fieldRe('X-Riferimento-Message-ID'), '');
  const ids = `Message-ID: <${identificativo}>${CRLF}X-Riferimento-Message-ID: ${clientMsgid}${CRLF}`;
  let replaced = false;
  head = head.replace(fieldRe('Message-ID'), () => {
    if (replaced) return '';
    replaced = true;
    return ids;
  });
  if (!replaced) head += ids;
  return [Buffer.from(head + CRLF, 'latin1'), data.subarray(bodyStart)];
}
