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

async function readBody(request: IncomingMessage, limit: number): Promise<string> {
  const tooLarge = () =>
    new ApiError(413, `The request body is larger than ${limit} bytes: send a shorter prompt`, {
      code: 'request_too_large',
    });
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    // Stop reading (and buffering) at the limit: the rest is never stored.
    if (size > limit) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
