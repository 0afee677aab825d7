/**
 * A judge's reply body, read with a bound: the answer is a number, so a reply past `MAX_REPLY_BYTES`
 * (an endless line, a stream that never says it is done) is cut off instead of filling memory.
 */
import { IncompleteReplyError } from './errors.js';

/** Far above the longest answer a 2,048-token context can stream (about 0.3 MiB of Ollama lines). */
export const MAX_REPLY_BYTES = 4 * 2 ** 20;

/** The body as text, piece by piece; past `limit` bytes, `IncompleteReplyError`. */
export async function* replyText(response: Response, limit = MAX_REPLY_BYTES): AsyncGenerator<string> {
  if (response.body == null) throw new IncompleteReplyError('answered with an empty body');
  const decoder = new TextDecoder();
  const reader = response.body.getReader();
  let received = 0;
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        const rest = decoder.decode();
        if (rest !== '') yield rest;
        return;
      }
      received += value.byteLength;
      if (received > limit) {
        throw new IncompleteReplyError(`sent more than ${limit / 2 ** 20} MiB without finishing its answer`);
      }
      yield decoder.decode(value, { stream: true });
    }
  } finally {
    // Stops the download when the reader gives up early (a protocol error, the limit).
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** The whole body as text, within `limit` bytes. */
export async function readReplyText(response: Response, limit = MAX_REPLY_BYTES): Promise<string> {
  let text = '';
  for await (const piece of replyText(response, limit)) text += piece;
  return text;
}

/** The start of an error reply, for the message: at most `chars` characters, the rest not read. */
export async function replyStart(response: Response, chars = 4096): Promise<string> {
  let text = '';
  try {
    for await (const piece of replyText(response)) {
      text += piece;
      if (text.length >= chars) break;
    }
  } catch {
    // What arrived is enough to name the problem.
  }
  return text.slice(0, chars);
}
