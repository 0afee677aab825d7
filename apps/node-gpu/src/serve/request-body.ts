/** Request bodies: read up to a size limit, parsed as one JSON object, or refused with a clear status. */
import type { IncomingMessage } from 'node:http';
import { ApiError } from './api-error.js';

/** Enough for a long conversation in the largest context served; far below what could hurt memory. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export async function readJsonObject(
  request: IncomingMessage,
  limit: number,
): Promise<Record<string, unknown>> {
  const text = await readBody(request, limit);
  if (text.trim() === '') throw new ApiError(400, 'The request body is empty: send a JSON object');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, `The request body is not valid JSON (${(error as Error).message})`, {
      code: 'invalid_json',
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ApiError(400, 'The request body must be a JSON object');
  return parsed as Record<string, unknown>;
}

/**
 * A body past the limit is read on without being kept, up to this much, so the client gets to read
 * the 413 (a server that stops reading makes most clients fail on a broken pipe instead). Beyond it
 * the connection is cut.
 */
const DISCARD_LIMIT = 64 * 1024 * 1024;

async function readBody(request: IncomingMessage, limit: number): Promise<string> {
  const tooLarge = () =>
    new ApiError(413, `The request body is larger than ${limit} bytes: send a shorter prompt`, {
      code: 'request_too_large',
    });
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > DISCARD_LIMIT) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > DISCARD_LIMIT) throw tooLarge();
    // Past the limit nothing more is stored: the rest is read only to be discarded.
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  if (size > limit) throw tooLarge();
  return Buffer.concat(chunks).toString('utf8');
}
