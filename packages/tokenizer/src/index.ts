export {
  BPETokenizer,
  type BPETokenizerData,
  type BPETokenizerJSON,
  type BPETrainOptions,
} from './bpe/bpe-tokenizer.js';
export { GPT2_PATTERN } from './bpe/pretokenize.js';
export type { TiktokenRanks } from './bpe/tiktoken-ranks.js';
export { CharTokenizer } from './char.js';
export { GPT2_EOT_ID, GPT2_VOCAB_SIZE, GPT2Tokenizer, getGPT2Tokenizer } from './gpt2.js';
export { type ChatMessage, type ChatTemplateOptions, renderChatTemplate } from './hf/chat-template.js';
export { HFTokenizer, type LoadHFTokenizerOptions, loadHFTokenizer } from './hf/hf-tokenizer.js';
export {
  HFTokenizerFileError,
  MAX_TOKENIZER_CONFIG_BYTES,
  MAX_TOKENIZER_JSON_BYTES,
} from './hf/json-file.js';
export { LLAMA3_PATTERN, QWEN_PATTERN } from './hf/tokenizer-json.js';
export { SimpleTokenizerV1 } from './simple/simple-v1.js';
export { SimpleTokenizerV2 } from './simple/simple-v2.js';
export { type BuildVocabOptions, buildVocab, splitWords } from './simple/vocab.js';
export { END_OF_TEXT, type EncodeOptions, type Tokenizer, UNKNOWN } from './tokenizer.js';
