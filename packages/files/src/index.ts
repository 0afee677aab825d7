/** Bounded reads and atomic writes on Node. */
export {
  isTemporaryPath,
  renameIntoPlace,
  temporaryPath,
  writeFileAtomic,
  writeFileAtomicPieces,
  writeFileAtomicWith,
} from './atomic.js';
export { type FileRanges, openFileRanges } from './ranges.js';
export { FileKindError, openRegularFile, readRegularFile } from './regular-file.js';
