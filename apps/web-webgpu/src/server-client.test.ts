/**
 * The page's server client against small HTTP servers on loopback that misbehave in one way each: the
 * address checks, and one readable error for each kind of wrong answer.
 */
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { listServerModels, serverFromLocation, streamServerChat } from './server-client.js';

let close: (() => void) | undefined;
afterEach(() => close?.());

/** A server on a free loopback port answering every request with `listener`; returns its base URL. */
async function serve(listener: RequestListener): Promise<URL> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  close = () => server.close();
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
}

const chat = {
  model: 'tiny',
  messages: [{ role: 'user' as const, content: 'Hi.' }],
  maxTokens: 4,
  temperature: 0,
};
const stream =
  (events: string[]): RequestListener =>
  (_, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.end(events.map((event) => `data: ${event}\n\n`).join(''));
  };
const piece = (content: string, finish: string | null = null) =>
  JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: finish }] });

describe('serverFromLocation', () => {
  it('takes http(s) addresses only, as a base the API paths go under', () => {
    expect(serverFromLocation('')).toBeUndefined();
    expect(serverFromLocation('?server=http://127.0.0.1:8000')?.href).toBe('http://127.0.0.1:8000/');
    expect(serverFromLocation('?server=https://host/api?x=1#y')?.href).toBe('https://host/api/');
    expect(() => serverFromLocation('?server=javascript:alert(1)')).toThrow(
      '?server=javascript:alert(1) must be an http:// or https:// address',
    );
    expect(() => serverFromLocation('?server=nowhere')).toThrow('?server=nowhere is not a URL');
  });
});

describe('listServerModels', () => {
  it('lists the ids of GET /v1/models', async () => {
    const paths: (string | undefined)[] = [];
    const url = await serve((request, response) => {
      paths.push(request.url);
      response.end(JSON.stringify({ object: 'list', data: [{ id: 'a' }, { id: 'b' }] }));
    });
    expect(await listServerModels(url)).toEqual(['a', 'b']);
    expect(paths).toEqual(['/v1/models']);
  });

  it('says when the server is not an OpenAI-compatible one, or refuses', async () => {
    let url = await serve((_, response) => response.end('<html>hello</html>'));
    await expect(listServerModels(url)).rejects.toThrow(`${url.origin} is not an OpenAI-compatible server`);
    close?.();
    url = await serve((_, response) => {
      response.writeHead(404);
      response.end('no');
    });
    await expect(listServerModels(url)).rejects.toThrow(
      `${url.origin} answered HTTP 404 to /v1/models: is it an OpenAI-compatible server?`,
    );
    close?.();
    url = await serve((_, response) => {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: 'This server needs an API key' } }));
    });
    await expect(listServerModels(url)).rejects.toThrow(
      `${url.origin} refused: This server needs an API key (HTTP 401)`,
    );
  });

  it('stops reading a list over 1 MiB', async () => {
    const url = await serve((_, response) => {
      response.write('{"data":[');
      response.end(`"${'x'.repeat(2 * 1024 * 1024)}"]}`);
    });
    await expect(listServerModels(url)).rejects.toThrow('The answer is over 1 MiB: stopped reading it');
  });

  it('says a server that is down cannot be reached', async () => {
    const url = await serve(() => {});
    close?.();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(listServerModels(url)).rejects.toThrow(`Could not reach ${url.origin}`);
  });
});

describe('streamServerChat', () => {
  it('streams the pieces and ends as the server says', async () => {
    const url = await serve(stream([piece(''), piece('Red'), piece(' and'), piece('', 'length'), '[DONE]']));
    const seen: string[] = [];
    const answer = await streamServerChat(url, chat, (text) => seen.push(text), new AbortController().signal);
    expect(seen).toEqual(['Red', 'Red and']);
    expect(answer).toEqual({ text: 'Red and', ended: 'token-limit' });
  });

  it('throws the error object a server sends mid-stream, and a stream cut short', async () => {
    let url = await serve(stream([piece('Red'), JSON.stringify({ error: { message: 'out of memory' } })]));
    await expect(streamServerChat(url, chat, () => {}, new AbortController().signal)).rejects.toThrow(
      `${url.origin} failed: out of memory`,
    );
    close?.();
    url = await serve(stream([piece('Red')]));
    await expect(streamServerChat(url, chat, () => {}, new AbortController().signal)).rejects.toThrow(
      `${url.origin} closed the answer before it ended`,
    );
  });

  it('ends "stopped" with the text so far when stopped', async () => {
    const url = await serve((_, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(`data: ${piece('Red')}\n\n`); // and never ends
    });
    const stop = new AbortController();
    const answer = await streamServerChat(url, chat, () => stop.abort(), stop.signal);
    expect(answer).toEqual({ text: 'Red', ended: 'stopped' });
  });
});
