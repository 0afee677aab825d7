import { type GPTModel, generate } from '@scratchgpt/gpt-model';
import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { alpaca } from './prompt-format.js';
import { extractResponse, respond } from './response.js';
import { tinyModel } from './test-support/tiny-model.js';

const tokenizer = getGPT2Tokenizer();
const entry = { instruction: 'Name a primary color.', input: '', output: 'Red.' };
let model: GPTModel;

beforeAll(async () => {
  model = await tinyModel(11, 64);
});
afterAll(() => model.dispose());

it("answers greedily from the book's prompt and says where the answer ended", async () => {
  const promptText = alpaca.prompt(entry);
  const promptIds = tokenizer.encode(promptText);
  const ids = await generate(model, promptIds, { maxNewTokens: 5 });
  const limited = await respond(model, entry, { tokenizer, format: alpaca, maxNewTokens: 5, eosId: -1 });
  expect(limited).toEqual({
    response: extractResponse(alpaca, tokenizer.decode([...promptIds, ...ids]), promptText),
    tokenIds: ids,
    ended: 'token-limit',
  });
  expect(ids.indexOf(ids[3]!)).toBe(3); // a new token, taken as the end-of-text id below
  const ended = await respond(model, entry, { tokenizer, format: alpaca, maxNewTokens: 5, eosId: ids[3]! });
  expect(ended).toEqual({
    response: extractResponse(alpaca, tokenizer.decode([...promptIds, ...ids.slice(0, 3)]), promptText),
    tokenIds: ids.slice(0, 4),
    ended: 'end-of-text',
  });
});
