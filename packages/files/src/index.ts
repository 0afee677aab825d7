/** Bounded reads and atomic writes on Node. */
export {
  isTemporaryPath,
  renameIntoPlace,
  temporaryPath,
  writeFileAtomic,
  writeFileAtomicWith,
} from './atomic.js';
export { FileKindError, openRegularFile, readRegularFile } from './regular-file.js';
