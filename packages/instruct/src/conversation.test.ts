import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import { describe, expect, it } from 'vitest';
import { answerReserve, chatPrompt } from './conversation.js';
import { alpaca, phi3 } from './prompt-format.js';
import { extractResponse } from './response.js';

const tokenizer = getGPT2Tokenizer();

describe('conversations', () => {
  it('read as the training prompt plus response header when there is no history', () => {
    for (const format of [alpaca, phi3]) {
      expect(format.conversation([], 'Name a primary color.')).toBe(
        format.prompt({ instruction: 'Name a primary color.', input: '' }) + format.responseHeader,
      );
    }
  });

  it('put past turns first, each with its answer', () => {
    const turns = [{ user: 'Hi.', assistant: 'Hello.' }];
    expect(phi3.conversation(turns, 'Bye.')).toBe(
      '<|user|>\nHi.\n<|assistant|>:\nHello.\n<|user|>\nBye.\n<|assistant|>:\n',
    );
    expect(alpaca.conversation(turns, 'Bye.')).toMatch(
      /request\.\n\n### Instruction:\nHi\.\n\n### Response:\nHello\.\n\n### Instruction:\nBye\.\n\n### Response:\n$/,
    );
  });

  it('drop the oldest turns when the prompt would leave no room for the answer', () => {
    const history = Array.from({ length: 6 }, (_, i) => ({
      user: `Question number ${i}?`,
      assistant: `Answer number ${i}.`,
    }));
    const options = { tokenizer, format: phi3, contextLength: 64, reserve: 16 };
    const prompt = chatPrompt(history, 'Last question?', options);
    expect(prompt.ids.length).toBeLessThanOrEqual(48);
    expect(prompt.droppedTurns).toBeGreaterThan(0);
    expect(prompt.truncatedTokens).toBe(0);
    // The most turns that fit: one more would not.
    expect(prompt.ids).toEqual(
      tokenizer.encode(phi3.conversation(history.slice(prompt.droppedTurns), 'Last question?')),
    );
    const oneMore = tokenizer.encode(
      phi3.conversation(history.slice(prompt.droppedTurns - 1), 'Last question?'),
    );
    expect(oneMore.length).toBeGreaterThan(48);
    expect(tokenizer.decode(prompt.ids)).toContain('Answer number 5.');
  });

  it('keep the end of a message too long even alone', () => {
    const message = 'word '.repeat(100);
    const prompt = chatPrompt([{ user: 'a', assistant: 'b' }], message, {
      tokenizer,
      format: alpaca,
      contextLength: 32,
      reserve: 8,
    });
    expect(prompt.ids).toHaveLength(24);
    expect(prompt.droppedTurns).toBe(1);
    expect(tokenizer.decode(prompt.ids).endsWith('\n\n### Response:\n')).toBe(true);
    expect(prompt.truncatedTokens).toBe(tokenizer.encode(alpaca.conversation([], message)).length - 24);
  });

  it('reserve at most half the context for the answer', () => {
    expect(answerReserve(1024, 256)).toBe(256);
    expect(answerReserve(128, 256)).toBe(64);
  });
});

describe('extractResponse', () => {
  it("takes the text after the prompt, without the response header, stripped (the book's)", () => {
    const prompt = alpaca.prompt({
      instruction: 'Rewrite the sentence.',
      input: 'The cake was baked by me.',
    });
    expect(extractResponse(alpaca, `${prompt}\n\n### Response:\nI baked the cake.\n`, prompt)).toBe(
      'I baked the cake.',
    );
    const phiPrompt = phi3.prompt({ instruction: 'Hi', input: '' });
    expect(extractResponse(phi3, `${phiPrompt}\n<|assistant|>:\nHello! `, phiPrompt)).toBe('Hello!');
  });
});
