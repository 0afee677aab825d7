/**
 * The binary token file: a 16-byte header, then the ids, little-endian.
 *
 * | bytes | content |
 * | --- | --- |
 * | 0–3 | magic `SGTK` |
 * | 4 | format version, 1 |
 * | 5 | bytes per id: 2 (uint16, vocabularies up to 65,536) or 4 (uint32) |
 * | 6–7 | zero |
 * | 8–15 | number of ids, uint64 |
 */
export const HEADER_BYTES = 16;
const MAGIC = 'SGTK';
const VERSION = 1;

export type TokenDtype = 'uint16' | 'uint32';

export interface TokenFileHeader {
  dtype: TokenDtype;
  count: number;
}

export function bytesPerToken(dtype: TokenDtype): number {
  return dtype === 'uint16' ? 2 : 4;
}

/** uint16 holds every id of a vocabulary of up to 65,536 entries. */
export function dtypeForVocabulary(vocabSize: number): TokenDtype {
  return vocabSize <= 65_536 ? 'uint16' : 'uint32';
}

export function writeHeader(header: TokenFileHeader): Uint8Array {
  const bytes = new Uint8Array(HEADER_BYTES);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < 4; i++) bytes[i] = MAGIC.charCodeAt(i);
  bytes[4] = VERSION;
  bytes[5] = bytesPerToken(header.dtype);
  view.setBigUint64(8, BigInt(header.count), true);
  return bytes;
}

export function readHeader(bytes: Uint8Array, source: string): TokenFileHeader {
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (bytes.length < HEADER_BYTES || magic !== MAGIC) {
    throw new Error(
      `${source} is not a scratchgpt token file (no SGTK header); write one with tokenizeFileToTokenFile`,
    );
  }
  if (bytes[4] !== VERSION) {
    throw new Error(`${source} is token file version ${bytes[4]}; this reader knows version ${VERSION}`);
  }
  const width = bytes[5];
  if (width !== 2 && width !== 4) throw new Error(`${source} stores ${width}-byte ids; expected 2 or 4`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { dtype: width === 2 ? 'uint16' : 'uint32', count: Number(view.getBigUint64(8, true)) };
}

/** Typed arrays use the host's byte order; the file is little-endian, as every mainstream host is. */
export function assertLittleEndian(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new Error('scratchgpt token files are little-endian; this host is big-endian');
  }
}
