/**
 * Ollama's `POST /api/chat`, as the book queries it: the answer streams as JSON lines, each with a
 * piece of `message.content`; the last line says `"done": true`.
 */
import { IncompleteReplyError, JudgeError, oneLine } from './errors.js';
import { replyText } from './reply-body.js';

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
  let pending = '';
  let answer = '';
  for await (const text of replyText(response)) {
    const lines = (pending + text).split('\n');
    pending = lines.pop() as string;
    for (const line of lines) {
      if (line.trim() === '') continue;
      const piece = parseLine(line);
      answer += piece.content;
      if (piece.done) return answer;
    }
  }
  const last = pending.trim() === '' ? undefined : parseLine(pending);
  if (last?.done) return answer + last.content;
  throw new IncompleteReplyError('ended its streamed answer before "done": true');
}

function parseLine(line: string): { content: string; done: boolean } {
  let json: { message?: { content?: unknown }; done?: unknown; error?: unknown };
  try {
    json = JSON.parse(line);
  } catch {
    throw new IncompleteReplyError(`streamed a line that is not JSON: ${oneLine(line, 80)}`);
  }
  if (typeof json.error === 'string')
    throw new JudgeError('server', `the Ollama server reported: ${oneLine(json.error)}`);
  const content = json.message?.content;
  return { content: typeof content === 'string' ? content : '', done: json.done === true };
}
