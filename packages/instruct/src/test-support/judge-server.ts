/**
 * A loopback judge for tests: speaks Ollama's streamed `/api/chat` and OpenAI's
 * `/v1/chat/completions`, serves the models it is given, and can be slow, failing or hostile on demand.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a request gets instead of the answer. */
export type JudgeServerFault =
  | 'status-503'
  | 'drop'
  | 'cut-short'
  /** Never answers. */
  | 'hang'
  /** Sends the headers and one piece of the answer, then nothing. */
  | 'stall'
  /** Streams one line without a newline, without end. */
  | 'endless-line'
  /** A streamed line that is not JSON. */
  | 'garbage'
  /** Ollama's error line, `{"error": …}`, inside a 200 reply. */
  | 'error-line'
  /** A 404 page from a server that is not Ollama. */
  | 'not-ollama-404';

export interface JudgeServerOptions {
  /** Models it serves; others get a 404 like Ollama's for a model not pulled. */
  models: string[];
  /** The judge's answer to a prompt. */
  answer(prompt: string): string;
  /** Per request (counted from 1, with its prompt), a failure instead of the answer. */
  fail?(request: number, prompt: string): JudgeServerFault | undefined;
  /** Milliseconds between streamed pieces. */
  pieceDelayMs?: number;
}

export interface JudgeServer {
  url: string;
  /** Bodies of the requests received, parsed. */
  requests: Array<{ path: string; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startJudgeServer(options: JudgeServerOptions): Promise<JudgeServer> {
  const requests: JudgeServer['requests'] = [];
  const server = createServer((request, response) => {
    void handle(request, response).catch(() => response.destroy());
  });
  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    requests.push({ path: request.url ?? '', body });
    const prompt = (body.messages as Array<{ content?: string }> | undefined)?.[0]?.content ?? '';
    const failure = options.fail?.(requests.length, prompt);
    if (failure === 'hang') return; // never answers: the client's timeout must end it
    if (failure === 'drop') return void response.destroy();
    if (failure === 'status-503') {
      response.writeHead(503, { 'content-type': 'application/json' });
      return void response.end('{"error":"server busy"}');
    }
    if (failure !== undefined && failure in hostileReplies) return hostileReplies[failure]!(response);
    const model = String(body.model);
    if (request.url === '/api/chat') {
      if (!options.models.includes(model)) {
        response.writeHead(404, { 'content-type': 'application/json' });
        return void response.end(
          JSON.stringify({ error: `model "${model}" not found, try pulling it first` }),
        );
      }
      response.writeHead(200, { 'content-type': 'application/x-ndjson' });
      const answer = options.answer(prompt);
      // Several characters a line, as a model streams tokens; the last line is done: true.
      for (let i = 0; i < answer.length; i += 2) {
        const line = { model, message: { role: 'assistant', content: answer.slice(i, i + 2) }, done: false };
        response.write(`${JSON.stringify(line)}\n`);
        if (options.pieceDelayMs) await new Promise((resolve) => setTimeout(resolve, options.pieceDelayMs));
        if (failure === 'cut-short') return void response.destroy();
      }
      response.end(`${JSON.stringify({ model, message: { role: 'assistant', content: '' }, done: true })}\n`);
      return;
    }
    if (request.url === '/v1/chat/completions') {
      if (!options.models.includes(model)) {
        response.writeHead(404, { 'content-type': 'application/json' });
        return void response.end(
          JSON.stringify({
            error: { message: `The model '${model}' does not exist`, code: 'model_not_found' },
          }),
        );
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          choices: [{ index: 0, message: { role: 'assistant', content: options.answer(prompt) } }],
        }),
      );
      return;
    }
    response.writeHead(404);
    response.end('not found');
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => closeServer(server) };
}

const hostileReplies: Partial<Record<JudgeServerFault, (response: ServerResponse) => Promise<void> | void>> =
  {
    stall(response) {
      response.writeHead(200, { 'content-type': 'application/x-ndjson' });
      response.write(`${JSON.stringify({ message: { role: 'assistant', content: '4' }, done: false })}\n`);
    },
    async 'endless-line'(response) {
      response.writeHead(200, { 'content-type': 'application/x-ndjson' });
      const piece = `{"message":{"content":"${'9'.repeat(64 * 1024)}`;
      while (!response.destroyed) {
        if (!response.write(piece)) await drainedOrClosed(response);
      }
    },
    garbage(response) {
      response.writeHead(200, { 'content-type': 'application/x-ndjson' });
      response.end('<html>this is not JSON</html>\n');
    },
    'error-line'(response) {
      response.writeHead(200, { 'content-type': 'application/x-ndjson' });
      response.end(`${JSON.stringify({ error: 'an unexpected error occurred while generating' })}\n`);
    },
    'not-ollama-404'(response) {
      response.writeHead(404, { 'content-type': 'text/html' });
      response.end('<html><body><h1>404 Not Found</h1></body></html>');
    },
  };

function drainedOrClosed(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A port nothing listens on: a server's, once closed. */
export async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await closeServer(server);
  return `http://127.0.0.1:${port}`;
}
