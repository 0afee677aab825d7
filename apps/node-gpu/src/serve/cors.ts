/**
 * Cross-origin access for the origins `--allow-origin` names, and only those: without it a browser
 * keeps every other web page from driving a server on this machine. Preflights are answered without
 * the API key (browsers never send it on one); the request that follows still needs it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The request headers a page may send: the key and the JSON body's type. */
const ALLOWED_HEADERS = 'authorization, content-type';
const ALLOWED_METHODS = 'GET, POST, OPTIONS';
/** How long a browser may reuse a preflight's answer. */
const PREFLIGHT_MAX_AGE_S = '600';

/**
 * Adds the CORS headers when the request's origin is allowed. Returns true when the request was a
 * preflight from such an origin, answered here with 204.
 */
export function applyCors(
  allowedOrigins: ReadonlySet<string>,
  request: IncomingMessage,
  response: ServerResponse,
): boolean {
  // Answers differ by origin: caches must keep them apart.
  response.setHeader('vary', 'origin');
  const origin = request.headers.origin;
  if (origin === undefined || !allowedOrigins.has(origin)) return false;
  response.setHeader('access-control-allow-origin', origin);
  const preflight =
    request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
  if (!preflight) return false;
  response.writeHead(204, {
    'access-control-allow-methods': ALLOWED_METHODS,
    'access-control-allow-headers': ALLOWED_HEADERS,
    'access-control-max-age': PREFLIGHT_MAX_AGE_S,
  });
  response.end();
  return true;
}

/** An origin as browsers send it (`http://host:port`, no path), or why the text is not one. */
export function originProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must start with http:// or https://';
  if (url.origin !== text) return `must be an origin alone, as browsers send it: ${url.origin}`;
  return undefined;
}
