/**
 * Checks of a Hugging Face tokenizer.json before it reaches the tokenizer library: only the pieces this
 * package supports and tests (byte-level BPE as Qwen3 and Llama 3 use it, BPE with byte fallback as
 * Gemma 3 uses it), so an unsupported file fails at load with a clear message, not later with wrong ids.
 */
import {
  describe,
  expectArray,
  expectId,
  expectObject,
  expectString,
  HFTokenizerFileError,
  type JsonObject,
} from './json-file.js';

/** Qwen2/Qwen3's pre-tokenization pattern (digits one at a time). */
export const QWEN_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/** Llama 3's pre-tokenization pattern (digits in groups of up to three). */
export const LLAMA3_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const KNOWN_PATTERNS: ReadonlySet<string> = new Set([QWEN_PATTERN, LLAMA3_PATTERN]);

const NORMALIZERS = new Set([
  'NFC',
  'NFD',
  'NFKC',
  'NFKD',
  'Replace',
  'Prepend',
  'Lowercase',
  'Strip',
  'Sequence',
]);
const PRE_TOKENIZERS = new Set(['ByteLevel', 'Split', 'Metaspace', 'Sequence']);
const DECODERS = new Set(['ByteLevel', 'Replace', 'ByteFallback', 'Fuse', 'Strip', 'Metaspace', 'Sequence']);

export interface CheckOptions {
  /**
   * A Split pattern runs as a regular expression, and a hostile one can take exponential time: patterns
   * other than Qwen3's and Llama 3's load only when the file is trusted.
   */
  trustPatterns?: boolean;
}

/** What the checks learn: the id range and the special added tokens. */
export interface TokenizerJsonFacts {
  vocabSize: number;
  specialTokens: Map<string, number>;
}

export function checkTokenizerJson(
  json: JsonObject,
  file: string,
  options: CheckOptions = {},
): TokenizerJsonFacts {
  const model = expectObject(json.model, file, 'model');
  if (model.type !== 'BPE') {
    throw new HFTokenizerFileError(
      `${file}: model.type ${describe(model.type)} is not supported: only BPE tokenizers (Qwen3, Llama 3, Gemma 3) load here`,
    );
  }
  let maxId = checkVocab(model, file);
  checkMerges(model, file);
  const specialTokens = new Map<string, number>();
  const added = json.added_tokens === undefined ? [] : expectArray(json.added_tokens, file, 'added_tokens');
  added.forEach((entry, index) => {
    const field = `added_tokens[${index}]`;
    const token = expectObject(entry, file, field);
    const id = expectId(token.id, file, `${field}.id`);
    const content = expectString(token.content, file, `${field}.content`);
    if (content === '')
      throw new HFTokenizerFileError(`${file}: ${field}.content is empty; an added token needs text`);
    if (token.special === true) specialTokens.set(content, id);
    maxId = Math.max(maxId, id);
  });
  const replaced = replacedStrings(json.normalizer);
  checkComponent(json.normalizer, file, 'normalizer', NORMALIZERS, 'normalizers');
  checkComponent(json.pre_tokenizer, file, 'pre_tokenizer', PRE_TOKENIZERS, 'pretokenizers', (split, field) =>
    checkSplit(split, file, field, replaced, options),
  );
  checkComponent(json.decoder, file, 'decoder', DECODERS, 'decoders');
  return { vocabSize: maxId + 1, specialTokens };
}

function checkVocab(model: JsonObject, file: string): number {
  const vocab = expectObject(model.vocab, file, 'model.vocab');
  let maxId = -1;
  for (const [token, id] of Object.entries(vocab)) {
    maxId = Math.max(maxId, expectId(id, file, `model.vocab[${JSON.stringify(token)}]`));
  }
  if (maxId < 0) throw new HFTokenizerFileError(`${file}: model.vocab is empty`);
  return maxId;
}

function checkMerges(model: JsonObject, file: string): void {
  const merges = expectArray(model.merges, file, 'model.merges');
  merges.forEach((merge, index) => {
    const pair = typeof merge === 'string' ? merge.split(' ') : merge;
    if (!Array.isArray(pair) || pair.length !== 2 || pair.some((part) => typeof part !== 'string')) {
      throw new HFTokenizerFileError(
        `${file}: model.merges[${index}] must be "left right" or ["left", "right"], not ${describe(merge)}`,
      );
    }
  });
}

/** Checks a component and, for a Sequence, each of its parts; `onSplit` sees every Split pre-tokenizer. */
function checkComponent(
  value: unknown,
  file: string,
  field: string,
  supported: ReadonlySet<string>,
  partsKey: string,
  onSplit?: (split: JsonObject, field: string) => void,
): void {
  if (value === null || value === undefined) return;
  const component = expectObject(value, file, field);
  const type = component.type;
  if (typeof type !== 'string' || !supported.has(type)) {
    throw new HFTokenizerFileError(
      `${file}: ${field}.type ${describe(type)} is not supported; supported: ${[...supported].join(', ')}`,
    );
  }
  if (type === 'Sequence') {
    const parts = expectArray(component[partsKey], file, `${field}.${partsKey}`);
    parts.forEach((part, index) => {
      checkComponent(part, file, `${field}.${partsKey}[${index}]`, supported, partsKey, onSplit);
    });
  }
  if (type === 'Split') onSplit?.(component, field);
}

function checkSplit(
  split: JsonObject,
  file: string,
  field: string,
  replaced: ReadonlySet<string>,
  options: CheckOptions,
): void {
  const pattern = expectObject(split.pattern, file, `${field}.pattern`);
  const literal = typeof pattern.String === 'string' ? pattern.String : undefined;
  if (literal === undefined) {
    const regex = expectString(pattern.Regex, file, `${field}.pattern.Regex`);
    if (!KNOWN_PATTERNS.has(regex) && options.trustPatterns !== true) {
      throw new HFTokenizerFileError(
        `${file}: ${field}.pattern.Regex is neither Qwen3's nor Llama 3's pattern; a regular expression from a file can take exponential time, so load it with { trustPatterns: true } only if you trust the file`,
      );
    }
  }
  const behavior = split.behavior;
  if (behavior === 'Isolated' || behavior === 'Removed') return;
  // Gemma's Split on " " never matches: its normalizer has already replaced every space with "▁".
  if (literal !== undefined && replaced.has(literal)) return;
  throw new HFTokenizerFileError(
    `${file}: ${field}.behavior ${describe(behavior)} is not supported (only Isolated and Removed split exactly as the reference does)`,
  );
}

/** The literal strings a Replace normalizer removes from every text (replaced by text without them). */
function replacedStrings(normalizer: unknown): Set<string> {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value !== 'object' || value === null) return;
    const component = value as JsonObject;
    if (component.type === 'Sequence' && Array.isArray(component.normalizers))
      component.normalizers.forEach(visit);
    const pattern = component.pattern as JsonObject | undefined;
    const content = component.content;
    if (
      component.type === 'Replace' &&
      typeof pattern?.String === 'string' &&
      typeof content === 'string' &&
      !content.includes(pattern.String)
    ) {
      found.add(pattern.String);
    }
  };
  visit(normalizer);
  return found;
}
