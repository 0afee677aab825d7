/**
 * `serve --allow-origin`: pages of the origins named may call the API from a browser (preflights
 * answered, Access-Control-Allow-Origin set); other origins get no CORS headers, and the API key is
 * still required of the allowed ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli } from './cli-harness.js';
import { makePretrained, type ServeProcess, startServe } from './serve-harness.js';

const allowed = 'http://127.0.0.1:5173';
const other = 'http://evil.example';
let pretrained: string;
let server: ServeProcess;

beforeAll(async () => {
  assertBuilt();
  ({ pretrained } = await makePretrained());
  server = await startServe(['--model', pretrained, '--allow-origin', allowed, '--api-key', 'sesame']);
});
afterAll(async () => {
  await server?.stop();
});

const preflight = (origin: string) =>
  fetch(`${server.url}/v1/chat/completions`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    },
  });

describe('serve --allow-origin', () => {
  it('answers the preflight of an allowed origin with 204, without the key', async () => {
    const response = await preflight(allowed);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(response.headers.get('access-control-allow-headers')).toContain('content-type');
  });

  it('gives another origin no CORS headers: its preflight is refused like any unknown method', async () => {
    const response = await preflight(other);
    expect(response.status).not.toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('access-control-allow-methods')).toBeNull();
    const get = await fetch(`${server.url}/v1/models`, {
      headers: { origin: other, authorization: 'Bearer sesame' },
    });
    expect(get.status).toBe(200);
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('still needs the key from an allowed origin, and lets the page read the 401', async () => {
    const missing = await fetch(`${server.url}/v1/models`, { headers: { origin: allowed } });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
    const given = await fetch(`${server.url}/v1/models`, {
      headers: { origin: allowed, authorization: 'Bearer sesame' },
    });
    expect(given.status).toBe(200);
    expect(given.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(given.headers.get('vary')).toMatch(/origin/i);
  });

  it('refuses an --allow-origin that is not an origin', async () => {
    for (const [origin, problem] of [
      ['http://127.0.0.1:5173/', 'must be an origin alone'],
      ['file:///tmp', 'must start with http:// or https://'],
      ['*', 'is not a URL'],
    ]) {
      const result = await runCli(['serve', '--model', pretrained, '--allow-origin', origin!]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`--allow-origin ${origin} ${problem}`);
    }
  });
});
