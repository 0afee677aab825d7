/**
 * GPT-2's printable names for bytes: printable Latin-1 bytes stand for themselves, the others
 * (space, control bytes…) are shifted to code points from 256 up. So a space shows as `Ġ` and a
 * newline as `Ċ`, as in GPT-2's `encoder.json` and the book's vocabularies.
 */
const names: string[] = (() => {
  const printable = (byte: number): boolean =>
    (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
  const out: string[] = [];
  let shifted = 0;
  for (let byte = 0; byte < 256; byte++) {
    out.push(String.fromCodePoint(printable(byte) ? byte : 256 + shifted++));
  }
  return out;
})();

/** A byte string written with GPT-2's byte names, e.g. `" the"` → `Ġthe`. */
export function displayBytes(byteString: string): string {
  let out = '';
  for (let i = 0; i < byteString.length; i++) out += names[byteString.charCodeAt(i)];
  return out;
}
