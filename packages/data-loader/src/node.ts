/** Node-only streaming: tokenize a corpus larger than memory to a token file, and read windows from it. */
export { TokenFile, type TokenFileOptions } from './node/token-file.js';
export type { TokenDtype } from './node/token-file-format.js';
export {
  type TokenFileSummary,
  type TokenizeFileOptions,
  tokenizeFileToTokenFile,
} from './node/tokenize-file.js';
