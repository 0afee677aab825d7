/** The book's instruction data as the repository bundles it (data/instruction-data.json). */
import { readFileSync } from 'node:fs';
import { type InstructionEntry, parseInstructionData } from '../entry.js';

export const bookDataUrl = new URL('../../../../data/instruction-data.json', import.meta.url);

export function bookData(): InstructionEntry[] {
  return parseInstructionData(readFileSync(bookDataUrl, 'utf8'), 'instruction-data.json');
}
