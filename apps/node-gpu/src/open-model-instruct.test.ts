/**
 * The open families' instruction formats over small tokenizers in each family's style: the chat
 * template by default, the end-of-turn id ending every example and the pad id (else the end id)
 * padding it, BOS written once, and entries holding special tokens refused.
 */
import { createInstructionLoader, InstructionDataset } from '@scratchgpt/instruct';
import { loadHFTokenizer } from '@scratchgpt/tokenizer';
import { describe, expect, it } from 'vitest';
import {
  type FamilyTokenizer,
  gemma3Tokenizer,
  llama3Tokenizer,
  qwen3Tokenizer,
} from '../test/open-model-tokenizers.js';
import { openFormatName, openInstructionFormat } from './open-model-instruct.js';

const tokenizerOf = ({ tokenizer, config }: FamilyTokenizer) =>
  loadHFTokenizer(JSON.stringify(tokenizer), JSON.stringify(config));

const entry = { instruction: 'Add one to 2.', input: '', output: 'It is 3.' };

describe.each([
  ['Qwen3', qwen3Tokenizer, '<|im_end|>', '<|endoftext|>', null],
  ['Llama 3', llama3Tokenizer, '<|eot_id|>', '<|eot_id|>', '<|begin_of_text|>'],
  ['Gemma 3', gemma3Tokenizer, '<end_of_turn>', '<pad>', '<bos>'],
])('%s', (_, family, endOfTurn, padding, bos) => {
  const tokenizer = tokenizerOf(family());
  const id = (token: string) => tokenizer.specialTokens.get(token) as number;

  it('defaults to the chat template, ending examples with its end of turn and padding with the pad id', () => {
    expect(openFormatName(undefined, undefined, tokenizer)).toBe('chat-template');
    expect(openFormatName('phi3', 'chat-template', tokenizer)).toBe('phi3');
    const instruction = openInstructionFormat('chat-template', tokenizer);
    expect([instruction.endTokenId, instruction.padTokenId]).toEqual([id(endOfTurn), id(padding)]);
    const ids = instruction.tokenizer.encode(
      instruction.format.prompt(entry) + instruction.format.responseHeader,
    );
    // The template writes BOS itself: once, first.
    if (bos === null) expect(ids.filter((token) => token === tokenizer.bosId)).toEqual([]);
    else expect(ids.filter((token) => token === id(bos)).length).toBe(1);
    if (bos !== null) expect(ids[0]).toBe(id(bos));

    const dataset = new InstructionDataset([entry, { ...entry, output: 'Three.' }], instruction);
    const [batch] = createInstructionLoader(dataset, {
      batchSize: 2,
      shuffle: false,
      endTokenId: instruction.endTokenId,
      padTokenId: instruction.padTokenId,
    }).batches();
    const longest = batch!.length;
    const ownLength = dataset.get(0).length;
    // Each row's last own target is the end of turn; padding after it counts for nothing.
    expect(batch!.targets[ownLength - 1]).toBe(id(endOfTurn));
    expect([...batch!.targets.slice(ownLength, longest)].every((target) => target === -100)).toBe(true);
  });

  it('puts BOS before the fixed formats, and refuses entries holding a special token', () => {
    const alpaca = openInstructionFormat('alpaca', tokenizer);
    expect(alpaca.endTokenId).toBe(tokenizer.eosId);
    const ids = alpaca.tokenizer.encode(alpaca.format.prompt(entry));
    if (bos !== null) expect(ids[0]).toBe(id(bos));
    expect(() => alpaca.check([entry, { ...entry, output: `Three${endOfTurn}` }])).toThrow(
      `entry 1: its output holds the special token ${endOfTurn}`,
    );
  });
});
