/**
 * The standard PDF fonts (Helvetica...) encode text in WinAnsi: Italian accented letters, €, the
 * typographic quotes are there, but not every Unicode character. Anything outside is reduced to its
 * base letter (Ł → L after decomposition where possible) or '?', so a name never breaks the PDF.
 */
const extras = '€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ';

function isWinAnsi(ch: string): boolean {
  const c = ch.codePointAt(0)!;
  return (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xff) || extras.includes(ch);
}

const fallbacks: Record<string, string> = { Ł: 'L', ł: 'l', Đ: 'D', đ: 'd', ı: 'i', '\t': ' ' };

export function toWinAnsi(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFC')) {
    if (isWinAnsi(ch)) out += ch;
    else if (fallbacks[ch]) out += fallbacks[ch];
    else {
      const base = ch.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
      out += base.length > 0 && [...base].every(isWinAnsi) ? base : '?';
    }
  }
  return out;
}
