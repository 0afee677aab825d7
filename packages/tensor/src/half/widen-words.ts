/**
 * Widening packed words into float32 arrays quickly, for the cpu and wasm kernels: bfloat16 is the top
 * half of a float32 (a shift of the bits), binary16 goes through a table of its 65,536 values (built
 * once, 256 KiB). Both are exact; `rounding.ts`'s `unpackHalf` is the arithmetic reference they are
 * tested against.
 */
import { halfToFloat } from '../safetensors/float16.js';
import type { HalfPrecision } from './precision.js';

let f16Table: Float32Array | undefined;

function f16Values(): Float32Array {
  f16Table ??= Float32Array.from({ length: 0x10000 }, (_, bits) => halfToFloat(bits));
  return f16Table;
}

/**
 * Rows of ⌈columns/2⌉ words → rows of `columns` floats, written into `out`: every row in order, or
 * the rows `ids` names (a gather), each checked to be in range.
 */
export function widenWords(
  words: Int32Array,
  columns: number,
  precision: HalfPrecision,
  out: Float32Array,
  ids?: Int32Array,
): void {
  const perRow = Math.ceil(columns / 2);
  const tableRows = perRow === 0 ? 0 : words.length / perRow;
  const rows = ids?.length ?? tableRows;
  const pairs = columns >> 1;
  const odd = (columns & 1) === 1;
  const bits = new Int32Array(out.buffer, out.byteOffset, out.length);
  const table = precision === 'f16' ? f16Values() : undefined;
  for (let row = 0, o = 0; row < rows; row++) {
    const source = ids == null ? row : (ids[row] as number);
    if (source < 0 || source >= tableRows) {
      throw new RangeError(`id ${source} is outside the table's ${tableRows} rows`);
    }
    let w = source * perRow;
    if (table == null) {
      for (let p = 0; p < pairs; p++, w++, o += 2) {
        const word = words[w] as number;
        bits[o] = word << 16;
        bits[o + 1] = word & -65536;
      }
      if (odd) bits[o++] = (words[w] as number) << 16;
    } else {
      for (let p = 0; p < pairs; p++, w++, o += 2) {
        const word = words[w] as number;
        out[o] = table[word & 0xffff] as number;
        out[o + 1] = table[word >>> 16] as number;
      }
      if (odd) out[o++] = table[(words[w] as number) & 0xffff] as number;
    }
  }
}
