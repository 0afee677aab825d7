import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MODELS, type ModelName, readModelFile } from '../test/hf-models.js';
import { type ChatMessage, renderChatTemplate } from './chat-template.js';
import { loadHFTokenizer } from './hf-tokenizer.js';
import type { JsonObject } from './json-file.js';

interface RenderedConversation {
  name: string;
  messages: ChatMessage[];
  addGenerationPrompt: boolean;
  enableThinking: boolean | null;
  text: string;
}

/** Rendered by Python's Jinja2 as transformers renders (tools/reference/fixtures_chat_templates.py). */
const rendered = JSON.parse(
  readFileSync(new URL('../../fixtures/chat-templates/rendered.json', import.meta.url), 'utf8'),
) as Record<ModelName, RenderedConversation[]>;

const question: ChatMessage = { role: 'user', content: 'What is byte-pair encoding?' };

describe.each(MODELS)('%s', (model) => {
  const config = JSON.parse(readModelFile(model, 'tokenizer_config.json')) as JsonObject;

  it.each(rendered[model].map((conversation) => [conversation.name, conversation] as const))(
    'renders %s as Jinja2 does',
    (_, { messages, addGenerationPrompt, enableThinking, text }) => {
      const options =
        enableThinking === null ? { addGenerationPrompt } : { addGenerationPrompt, enableThinking };
      expect(renderChatTemplate(config, messages, options)).toBe(text);
    },
  );
});

it('covers five conversations for each model and Qwen3 with thinking on and off', () => {
  for (const model of MODELS) expect(rendered[model].length).toBeGreaterThanOrEqual(5);
  const thinking = rendered.qwen3.filter((conversation) => conversation.enableThinking !== null);
  expect(thinking.map((conversation) => conversation.enableThinking)).toEqual([true, false, false]);
  // Thinking off: the template writes an empty thinking block for the model to continue after.
  expect(thinking[1]?.text.endsWith('<|im_start|>assistant\n<think>\n\n</think>\n\n')).toBe(true);
});

it('a rendered Gemma 3 chat encodes with its BOS and turn tokens', () => {
  const gemma = loadHFTokenizer(
    readModelFile('gemma3', 'tokenizer.json'),
    readModelFile('gemma3', 'tokenizer_config.json'),
  );
  const text = renderChatTemplate(gemma.config ?? {}, [question], { addGenerationPrompt: true });
  expect(text).toBe(
    '<bos><start_of_turn>user\nWhat is byte-pair encoding?<end_of_turn>\n<start_of_turn>model\n',
  );
  const ids = gemma.encode(text, { allowedSpecial: 'all' });
  expect(ids[0]).toBe(gemma.bosId);
  expect(ids[1]).toBe(gemma.specialTokens.get('<start_of_turn>'));
  expect(gemma.decode(ids)).toBe(text);
});

it('passes the template’s own errors on, and names a config without a usable template', () => {
  const gemmaConfig = JSON.parse(readModelFile('gemma3', 'tokenizer_config.json')) as JsonObject;
  expect(() => renderChatTemplate(gemmaConfig, [question, question])).toThrow(/roles must alternate/);
  expect(() => renderChatTemplate({}, [question])).toThrow(/tokenizer_config\.json has no chat_template/);
  expect(() => renderChatTemplate({ chat_template: '{% if %}' }, [question])).toThrow(
    /chat_template does not parse/,
  );
  expect(() =>
    renderChatTemplate({ chat_template: [{ name: 'tool_use', template: 'x' }] }, [question]),
  ).toThrow(/no template named "default"; it has tool_use/);
  expect(
    renderChatTemplate({ chat_template: [{ name: 'default', template: '{{ messages[0].content }}' }] }, [
      question,
    ]),
  ).toBe(question.content);
});
