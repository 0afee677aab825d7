/**
 * Ollama's `POST /api/chat`, as the book queries it: the answer streams as JSON lines, each with a
 * piece of `message.content`; the last line says `"done": true`.
 */
import { JudgeError } from './errors.js';
import { IncompleteReplyError } from './http.js';

/** The book's request: one user message, seed 123, temperature 0, a 2,048-token context. */
export function ollamaRequest(model: string, prompt: string): unknown {
  return {
    model,
    messages: [{ role: 'user', content: prompt }],
    options: { seed: 123, temperature: 0, num_ctx: 2048 },
  };
}

/** Concatenates the streamed pieces; a stream that ends before `done` is incomplete. */
export async function readOllamaStream(response: Response): Promise<string> {
  if (response.body == null) throw new IncompleteReplyError('answered with an empty body');
  const decoder = new TextDecoder();
  let pending = '';
  let answer = '';
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      pending += done ? decoder.decode() : decoder.decode(value, { stream: true });
      const lines = pending.split('\n');
      pending = done ? '' : (lines.pop() as string);
      for (const line of lines) {
        if (line.trim() === '') continue;
        const piece = parseLine(line);
        answer += piece.content;
        if (piece.done) return answer;
      }
      if (done) throw new IncompleteReplyError('ended its streamed answer before "done": true');
    }
  } finally {
    reader.releaseLock();
  }
}

function parseLine(line: string): { content: string; done: boolean } {
  let json: { message?: { content?: unknown }; done?: unknown; error?: unknown };
  try {
    json = JSON.parse(line);
  } catch {
    throw new IncompleteReplyError(`streamed a line that is not JSON: ${line.slice(0, 80)}`);
  }
  if (typeof json.error === 'string')
    throw new JudgeError('server', `the Ollama server reported: ${json.error}`);
  const content = json.message?.content;
  return { content: typeof content === 'string' ? content : '', done: json.done === true };
}
