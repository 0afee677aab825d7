/**
 * A small random Qwen3 as the Hub holds one, for the page's tests: the open-models fixture's weights as
 * model.safetensors beside its config.json, a byte-level tokenizer.json of the model's 300 ids, and a
 * tokenizer_config.json with a chat template in Qwen3's shape (its thinking switch included). The
 * generation config names, besides <|im_end|>, the token the model gives greedily a few tokens into its
 * answer, so the answer ends at an EOS token: where it ends is known from the same model in Node.
 */

import { generate } from '@scratchgpt/gpt-model';
import { type FakeHub, startFakeHub } from '@scratchgpt/hub/testing';
import { checkpointInMemory, loadOpenModelCheckpoint } from '@scratchgpt/open-models';
import { initBackend, parseSafetensors } from '@scratchgpt/tensor';
import { type HFTokenizer, loadHFTokenizer, renderChatTemplate } from '@scratchgpt/tokenizer';
import { fixtureFile } from '../../../packages/open-models/src/test-support/fixtures.js';
import {
  f32Safetensors,
  huggingFaceConfig,
  jsonBytes,
} from '../../../packages/open-models/src/test-support/hf-checkpoint.js';

export const TINY_QWEN3 = 'acme/tiny-qwen3-chat';
const VOCAB_SIZE = 300;
const SPECIALS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];

/** Qwen3's template, cut to what a plain conversation needs. */
const CHAT_TEMPLATE = [
  '{%- for message in messages %}',
  "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}",
  '{%- endfor %}',
  '{%- if add_generation_prompt %}',
  "{{- '<|im_start|>assistant\\n' }}",
  "{%- if enable_thinking is defined and enable_thinking is false %}{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}",
  '{%- endif %}',
].join('');

/** GPT-2's printable stand-ins for the 256 bytes, in byte order: what byte-level vocabularies hold. */
function byteCharacters(): string[] {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
  let next = 256;
  return Array.from({ length: 256 }, (_, b) => String.fromCodePoint(printable(b) ? b : next++));
}

/** The 256 bytes, merges of letter pairs, then the special tokens as the last ids. */
function tokenizerJson() {
  const vocab: Record<string, number> = {};
  for (const [id, character] of byteCharacters().entries()) vocab[character] = id;
  const letters = 'etaoinshrdlucmfwypvbgkjqxz';
  const merges: string[] = [];
  // "ee", "te", "ae", … then "et", "tt", …: every pair once, in this order.
  for (let i = 0; Object.keys(vocab).length < VOCAB_SIZE - SPECIALS.length; i++) {
    const pair = `${letters[i % letters.length]}${letters[Math.floor(i / letters.length)]}`;
    vocab[pair] = Object.keys(vocab).length;
    merges.push(`${pair[0]} ${pair[1]}`);
  }
  const added = SPECIALS.map((content, i) => ({
    id: VOCAB_SIZE - SPECIALS.length + i,
    content,
    special: true,
  }));
  for (const token of added) vocab[token.content] = token.id;
  return {
    version: '1.0',
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', vocab, merges },
  };
}

const tokenizerConfig = { eos_token: '<|im_end|>', model_max_length: 64, chat_template: CHAT_TEMPLATE };

/**
 * The fixture's weights with its N(0, 1) embedding table scaled to σ 0.05: tied to the head, the full
 * table makes the model repeat the prompt's last token forever; at this scale its greedy answer moves
 * from token to token, so where an answer ends says something.
 */
function smallEmbeddings(): Uint8Array {
  const tensors = parseSafetensors(fixtureFile('qwen3-tiny', 'weights.safetensors')).tensors;
  const name = 'model.embed_tokens.weight';
  const table = tensors.get(name)!;
  tensors.set(name, { ...table, data: (table.data as Float32Array).map((value) => value * 0.05) });
  return f32Safetensors(tensors);
}

export interface ExpectedAnswer {
  /** What the page shows as the answer: the greedy tokens before the stop token, decoded. */
  text: string;
  tokens: number;
}

/**
 * The repository's files and the answer the model gives `message` greedily (on cpu, in Node), ending at
 * the stop token the generation config names.
 */
export async function tinyQwen3Repo(message: string): Promise<{
  files: Record<string, Uint8Array>;
  answer: ExpectedAnswer;
}> {
  const files: Record<string, Uint8Array> = {
    'config.json': jsonBytes(huggingFaceConfig('qwen3-tiny')),
    'tokenizer.json': jsonBytes(tokenizerJson()),
    'tokenizer_config.json': jsonBytes(tokenizerConfig),
    'model.safetensors': smallEmbeddings(),
  };
  await initBackend({ prefer: 'cpu' });
  const tokenizer = loadHFTokenizer(files['tokenizer.json']!, files['tokenizer_config.json']!);
  const prompt = renderChatTemplate(tokenizer.config!, [{ role: 'user', content: message }], {
    addGenerationPrompt: true,
    enableThinking: false,
  });
  // In bf16, as the page stores it by default: the answer is that model's.
  const { model } = await loadOpenModelCheckpoint(checkpointInMemory(new Map(Object.entries(files))), {
    weightPrecision: 'bf16',
  });
  const promptIds = tokenizer.encode(prompt, { allowedSpecial: 'all' });
  // As many as the context leaves: the page gives the answer no more.
  const greedy = await generate(model, promptIds, {
    maxNewTokens: model.config.contextLength - promptIds.length,
  });
  model.dispose();
  const stop = stopAfter(greedy, tokenizer);
  files['generation_config.json'] = jsonBytes({ eos_token_id: [tokenizer.eosId, greedy[stop]] });
  return { files, answer: { text: tokenizer.decode(greedy.slice(0, stop)), tokens: stop } };
}

/**
 * Where the answer ends: at the tokenizer's EOS if the model gives it, else at the first token from the
 * fourth on that is new to the answer (not a special token), which the generation config then names.
 */
function stopAfter(greedy: number[], tokenizer: HFTokenizer): number {
  const specials = new Set(tokenizer.specialTokens.values());
  const stop = greedy.findIndex(
    (id, i) => id === tokenizer.eosId || (i >= 3 && !greedy.slice(0, i).includes(id) && !specials.has(id)),
  );
  if (stop < 0) throw new Error(`the tiny model's greedy answer repeats itself: ${greedy.join(' ')}`);
  return stop;
}

export async function startTinyQwen3Hub(message: string): Promise<{ hub: FakeHub; answer: ExpectedAnswer }> {
  const { files, answer } = await tinyQwen3Repo(message);
  const qwen = (size: '0.6B' | '1.7B', embDim: number, hiddenDim: number) => ({
    files: {
      'config.json': jsonBytes({
        model_type: 'qwen3',
        vocab_size: 151936,
        max_position_embeddings: 40960,
        hidden_size: embDim,
        num_attention_heads: 16,
        num_key_value_heads: 8,
        head_dim: 128,
        intermediate_size: hiddenDim,
        num_hidden_layers: 28,
        rope_theta: 1000000,
        rms_norm_eps: 1e-6,
        tie_word_embeddings: true,
      }),
      // Never asked for: the page judges the model from config.json first.
      [`weights-${size}.safetensors`]: new Uint8Array(64),
    },
  });
  const hub = await startFakeHub({
    repos: {
      [TINY_QWEN3]: { files },
      'Qwen/Qwen3-0.6B': qwen('0.6B', 1024, 3072),
      'Qwen/Qwen3-1.7B': qwen('1.7B', 2048, 6144),
    },
  });
  return { hub, answer };
}
