/** The OpenAI-compatible `POST /v1/chat/completions` (vLLM, llama.cpp's server, Ollama's own, …). */
import { IncompleteReplyError, oneLine } from './errors.js';
import { readReplyText } from './reply-body.js';

/** The book's settings in this API: temperature 0 and seed 123, one user message, no streaming. */
export function openAIRequest(model: string, prompt: string): unknown {
  return { model, messages: [{ role: 'user', content: prompt }], temperature: 0, seed: 123, stream: false };
}

export async function readOpenAIReply(response: Response): Promise<string> {
  const text = await readReplyText(response);
  let json: { choices?: Array<{ message?: { content?: unknown } }> };
  try {
    json = JSON.parse(text);
  } catch {
    throw new IncompleteReplyError(`answered with something that is not JSON: ${oneLine(text, 80)}`);
  }
  const content = json.choices?.[0]?.message?.content;
  if (typeof content !== 'string') {
    throw new IncompleteReplyError('answered without choices[0].message.content');
  }
  return content;
}
