import { type GPTModel, generate } from '@scratchgpt/gpt-model';
import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatSession } from './chat-session.js';
import { answerReserve, chatPrompt } from './conversation.js';
import { alpaca, phi3 } from './prompt-format.js';
import { tinyModel } from './test-support/tiny-model.js';

const tokenizer = getGPT2Tokenizer();
let model: GPTModel;

beforeAll(async () => {
  model = await tinyModel(7, 48);
});
afterAll(() => model.dispose());

describe('ChatSession', () => {
  it('streams pieces that make up the answer, and keeps the turn', async () => {
    const session = new ChatSession(model, { tokenizer, format: phi3, maxNewTokens: 6, eosId: null });
    const pieces: string[] = [];
    const answer = await session.answer('Hi.', { onText: (piece) => pieces.push(piece) });
    expect(answer).toMatchObject({ tokens: 6, ended: 'token-limit', droppedTurns: 0, truncatedTokens: 0 });
    expect(pieces.join('')).toBe(answer.text);
    expect(pieces.length).toBeGreaterThan(1);
    expect(session.history).toEqual([{ user: 'Hi.', assistant: answer.text.trim() }]);
  });

  it('ends at the end-of-text id, which it leaves out of the answer', async () => {
    const prompt = chatPrompt([], 'Hi.', {
      tokenizer,
      format: phi3,
      contextLength: 48,
      reserve: answerReserve(48, 4),
    });
    const ids = await generate(model, prompt.ids, { maxNewTokens: 4 });
    expect(ids.indexOf(ids[2]!)).toBe(2); // the third token is new: taken as the end-of-text id, the answer stops before it
    const session = new ChatSession(model, { tokenizer, format: phi3, maxNewTokens: 4, eosId: ids[2]! });
    const answer = await session.answer('Hi.');
    expect(answer).toMatchObject({ ended: 'end-of-text', tokens: 2 });
    expect(answer.text).toBe(tokenizer.decode(ids.slice(0, 2)));
    const eitherId = new ChatSession(model, {
      tokenizer,
      format: phi3,
      maxNewTokens: 4,
      eosId: [-1, ids[2]!],
    });
    expect(await eitherId.answer('Hi.')).toMatchObject({ ended: 'end-of-text', tokens: 2 });
  });

  it('leaves out the oldest turns when the conversation no longer fits the context', async () => {
    // Context 48, 8 tokens kept for the answer: the preamble and one short turn fill the rest.
    const session = new ChatSession(model, { tokenizer, format: alpaca, maxNewTokens: 8, eosId: null });
    const first = await session.answer('Name a color.');
    expect(first.droppedTurns).toBe(0);
    const second = await session.answer('Name another.');
    expect(second.droppedTurns).toBe(1);
    expect(session.history.map((turn) => turn.user)).toEqual(['Name another.']);
  });

  it('stops when its signal aborts, keeping what was said', async () => {
    const session = new ChatSession(model, { tokenizer, format: phi3, maxNewTokens: 200, eosId: null });
    const controller = new AbortController();
    const answer = await session.answer('Tell me more.', {
      signal: controller.signal,
      onText: () => controller.abort(),
    });
    expect(answer.ended).toBe('stopped');
    expect(answer.tokens).toBeLessThan(200);
    expect(session.history.at(-1)).toEqual({ user: 'Tell me more.', assistant: answer.text.trim() });
  });
});
