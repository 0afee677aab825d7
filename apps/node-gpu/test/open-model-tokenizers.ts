/**
 * Small byte-level tokenizers for the tiny open-model fixtures (300 ids): the 256 bytes, merges of
 * letter pairs, and each family's special tokens as the last ids, with a tokenizer_config.json whose
 * chat template writes turns in that family's style.
 */

import { byteLevelTokenizer } from './byte-level-tokenizer.js';

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
