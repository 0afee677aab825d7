/**
 * Small byte-level tokenizers for the tiny open-model fixtures (300 ids): the 256 bytes, merges of
 * letter pairs, and each family's special tokens as the last ids, with a tokenizer_config.json whose
 * chat template writes turns in that family's style.
 */

/** GPT-2's printable stand-ins for the 256 bytes, in byte order: what byte-level BPE vocabularies hold. */
export function byteCharacters(): string[] {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
  let next = 256;
  return Array.from({ length: 256 }, (_, b) => String.fromCodePoint(printable(b) ? b : next++));
}

/**
 * A byte-level BPE tokenizer.json of `size` ids: the 256 bytes, merges of letter pairs ("ab", "cd",
 * …), and `specials` as the last ids, in order.
 */
export function byteLevelTokenizer(size: number, specials: readonly string[]) {
  const vocab: Record<string, number> = {};
  byteCharacters().forEach((character, id) => {
    vocab[character] = id;
  });
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:!?';
  const merges: string[] = [];
  for (let i = 0; Object.keys(vocab).length < size - specials.length; i += 2) {
    const pair = [letters[i % letters.length]!, letters[(i + 1) % letters.length]!];
    if (vocab[pair.join('')] !== undefined) break;
    vocab[pair.join('')] = Object.keys(vocab).length;
    merges.push(pair.join(' '));
  }
  const firstSpecial = Object.keys(vocab).length;
  return {
    version: '1.0',
    added_tokens: specials.map((content, i) => ({ id: firstSpecial + i, content, special: true })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', vocab, merges },
  };
}

export interface FamilyTokenizer {
  /** tokenizer.json */
  tokenizer: ReturnType<typeof byteLevelTokenizer>;
  /** tokenizer_config.json, with its chat template */
  config: Record<string, unknown>;
  /** The special token ending an answer in the chat template. */
  endOfTurn: string;
}

const SIZE = 300;

/** Qwen3's ChatML turns (`<|im_start|>role … <|im_end|>`), no BOS, `<|im_end|>` as EOS. */
export function qwen3Tokenizer(): FamilyTokenizer {
  const specials = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];
  const chat_template =
    "{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}{%- endfor %}" +
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";
  return {
    tokenizer: byteLevelTokenizer(SIZE, specials),
    config: { eos_token: '<|im_end|>', pad_token: '<|endoftext|>', bos_token: null, chat_template },
    endOfTurn: '<|im_end|>',
  };
}

/** Llama 3's header turns, `<|begin_of_text|>` first, `<|eot_id|>` ending each turn. */
export function llama3Tokenizer(): FamilyTokenizer {
  const specials = [
    '<|begin_of_text|>',
    '<|end_of_text|>',
    '<|start_header_id|>',
    '<|end_header_id|>',
    '<|eot_id|>',
  ];
  const chat_template =
    "{{- bos_token }}{%- for message in messages %}{{- '<|start_header_id|>' + message.role + '<|end_header_id|>\\n\\n' + message.content | trim + '<|eot_id|>' }}{%- endfor %}" +
    "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}";
  return {
    tokenizer: byteLevelTokenizer(SIZE, specials),
    config: { bos_token: '<|begin_of_text|>', eos_token: '<|eot_id|>', chat_template },
    endOfTurn: '<|eot_id|>',
  };
}

/** Gemma 3's `<start_of_turn>` turns (the assistant named `model`), `<bos>` first. */
export function gemma3Tokenizer(): FamilyTokenizer {
  const specials = ['<pad>', '<eos>', '<bos>', '<start_of_turn>', '<end_of_turn>'];
  const chat_template =
    "{{ bos_token }}{%- for message in messages -%}{%- if message['role'] == 'assistant' -%}{%- set role = 'model' -%}{%- else -%}{%- set role = message['role'] -%}{%- endif -%}" +
    "{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{%- endfor -%}" +
    "{%- if add_generation_prompt -%}{{ '<start_of_turn>model\\n' }}{%- endif -%}";
  return {
    tokenizer: byteLevelTokenizer(SIZE, specials),
    config: { bos_token: '<bos>', eos_token: '<eos>', pad_token: '<pad>', chat_template },
    endOfTurn: '<end_of_turn>',
  };
}
