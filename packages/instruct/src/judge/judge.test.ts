/** The judge client against a loopback server speaking Ollama's and OpenAI's protocols. */
import { afterEach, describe, expect, it } from 'vitest';
import type { InstructionEntry } from '../entry.js';
import { alpaca } from '../prompt-format.js';
import { closedPort, type JudgeServer, startJudgeServer } from '../test-support/judge-server.js';
import { chatEndpoint, createJudgeClient } from './client.js';
import { JudgeError } from './errors.js';
import { retryDelay } from './http.js';
import { type JudgedEntry, judgeResponses } from './judge.js';
import { parseScore, scoringPrompt } from './scoring-prompt.js';

const entry: InstructionEntry = {
  instruction: 'Rewrite the sentence using a simile.',
  input: 'The car is very fast.',
  output: 'The car is as fast as lightning.',
};
const responses: JudgedEntry[] = [
  { ...entry, model_response: 'The car is as fast as a bullet.' },
  { ...entry, model_response: 'The car is fast.' },
  { ...entry, model_response: 'Cars.' },
  { ...entry, model_response: '' },
  { ...entry, model_response: 'The car is as quick as a cheetah.' },
];
/** What the judge answers to each response: scores, and one answer that is no score. */
const answers: Record<string, string> = {
  'The car is as fast as a bullet.': '85',
  'The car is fast.': ' 20\n',
  'Cars.': 'I would rate this response 5 out of 100.',
  'The car is as quick as a cheetah.': '92',
};
const answer = (prompt: string) => {
  const response = /score the model response `([^`]*)`/.exec(prompt)?.[1] ?? '';
  return answers[response] ?? 'unexpected prompt';
};

let server: JudgeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function judgeAll(client: ReturnType<typeof createJudgeClient>) {
  const stream = judgeResponses(responses, client);
  const progress: number[] = [];
  for (let next = await stream.next(); ; next = await stream.next()) {
    if (next.done) return { summary: next.value, progress };
    progress.push(next.value.done);
  }
}

describe('the judge', () => {
  it("asks Ollama the book's question, reads its streamed answer, skips and counts what is no score", async () => {
    server = await startJudgeServer({ models: ['llama3'], answer });
    const client = createJudgeClient({ endpoint: server.url });
    expect([client.api, client.url, client.model]).toEqual(['ollama', `${server.url}/api/chat`, 'llama3']);
    const { summary, progress } = await judgeAll(client);
    expect(progress).toEqual([1, 2, 3, 4, 5]);
    expect(summary.scores).toEqual([85, 20, null, 0, 92]);
    expect(summary.scored).toBe(4);
    expect(summary.average).toBe((85 + 20 + 0 + 92) / 4);
    expect(summary.skipped).toEqual([{ index: 2, answer: 'I would rate this response 5 out of 100.' }]);
    expect(summary.histogram).toEqual([1, 0, 1, 0, 0, 0, 0, 0, 1, 1]);
    // The empty response scores 0 without a question; the others asked with the book's settings.
    expect(server.requests).toHaveLength(4);
    expect(server.requests[0]).toEqual({
      path: '/api/chat',
      body: {
        model: 'llama3',
        messages: [{ role: 'user', content: scoringPrompt(responses[0]!, responses[0]!.model_response) }],
        options: { seed: 123, temperature: 0, num_ctx: 2048 },
      },
    });
  });

  it('speaks the OpenAI-compatible protocol the same way', async () => {
    server = await startJudgeServer({ models: ['judge-8b'], answer });
    const client = createJudgeClient({ endpoint: `${server.url}/v1`, model: 'judge-8b' });
    expect([client.api, client.url]).toEqual(['openai', `${server.url}/v1/chat/completions`]);
    const { summary } = await judgeAll(client);
    expect(summary.scores).toEqual([85, 20, null, 0, 92]);
    expect(server.requests[0]!.body).toMatchObject({
      model: 'judge-8b',
      temperature: 0,
      seed: 123,
      stream: false,
    });
  });

  it('says in one line that a model is not pulled (404), for either protocol', async () => {
    server = await startJudgeServer({ models: ['llama3'], answer });
    const ollama = createJudgeClient({ endpoint: server.url, model: 'llama3.1:70b' });
    const error = await ollama.ask('Score this.').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JudgeError);
    expect((error as JudgeError).failure).toBe('model-missing');
    expect((error as JudgeError).message).toBe(
      `the Ollama server at ${server.url} has no model 'llama3.1:70b': pull it with 'ollama pull llama3.1:70b'`,
    );
    expect(server.requests).toHaveLength(1); // not retried
    const openai = createJudgeClient({ endpoint: server.url, api: 'openai', model: 'gpt-x' });
    await expect(openai.ask('Score this.')).rejects.toThrow(
      `${server.url}/v1/chat/completions answered 404 for model 'gpt-x': the server does not serve that model`,
    );
  });

  it('says in one line, without retrying, that nothing listens at the endpoint', async () => {
    const url = await closedPort();
    const client = createJudgeClient({ endpoint: url, retries: 3, backoffMs: 10 });
    const error = (await client.ask('Score this.').catch((e: unknown) => e)) as JudgeError;
    expect(error.failure).toBe('unreachable');
    expect(error.message).toBe(`cannot reach ${url}/api/chat: connection refused (is the server running?)`);
    expect(error.attempts).toBe(1);
    expect(error.message).not.toContain('\n');
  });

  it('times out a server that does not answer, after its retries', async () => {
    server = await startJudgeServer({ models: ['llama3'], answer, fail: () => 'hang' });
    const client = createJudgeClient({ endpoint: server.url, timeoutMs: 200, retries: 1, backoffMs: 10 });
    const started = Date.now();
    const error = (await client.ask('Score this.').catch((e: unknown) => e)) as JudgeError;
    expect(error.failure).toBe('timeout');
    expect(error.message).toBe(`${server.url}/api/chat did not answer within 0.2 s; tried 2 times`);
    expect(server.requests).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('retries with backoff after a 503, a dropped connection and a stream cut short, then answers', async () => {
    const failures = ['status-503', 'drop', 'cut-short'] as const;
    server = await startJudgeServer({ models: ['llama3'], answer: () => '77', fail: (n) => failures[n - 1] });
    const client = createJudgeClient({ endpoint: server.url, retries: 3, backoffMs: 50 });
    const started = Date.now();
    expect(await client.ask('Score this.')).toBe('77');
    expect(server.requests).toHaveLength(4);
    expect(Date.now() - started).toBeGreaterThanOrEqual(50 + 100 + 200); // waits double each time
  });

  it('gives up after the last retry, naming what the server did', async () => {
    server = await startJudgeServer({ models: ['llama3'], answer, fail: () => 'status-503' });
    const client = createJudgeClient({ endpoint: server.url, retries: 2, backoffMs: 5 });
    await expect(client.ask('Score this.')).rejects.toThrow(
      `${server.url}/api/chat answered HTTP 503 ({"error":"server busy"}); tried 3 times`,
    );
  });

  it('stops when its signal aborts, even mid-answer', async () => {
    server = await startJudgeServer({ models: ['llama3'], answer: () => '1'.repeat(40), pieceDelayMs: 50 });
    const client = createJudgeClient({ endpoint: server.url });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = (await client.ask('Score this.', controller.signal).catch((e: unknown) => e)) as JudgeError;
    expect(error.failure).toBe('aborted');
  });
});

describe('a hostile judge', () => {
  it('waits at most a minute between attempts, however many retries', () => {
    expect([1, 2, 3].map((attempt) => retryDelay(attempt, 1_000))).toEqual([1_000, 2_000, 4_000]);
    expect(retryDelay(7, 1_000)).toBe(60_000);
    // --retries 20 waits at most 20 minutes in all (uncapped, the last wait alone was 6 days).
    const waits = Array.from({ length: 20 }, (_, i) => retryDelay(i + 1, 1_000));
    expect(waits.reduce((sum, wait) => sum + wait, 0)).toBeLessThanOrEqual(20 * 60_000);
  });

  it("refuses a timeout Node's timers cannot hold (2^31 - 1 ms) when the client is made", () => {
    expect(() => createJudgeClient({ timeoutMs: 2 ** 31 })).toThrow(
      'the judge timeout must be more than 0 and at most 2147483647 ms (about 24.8 days), got 2147483648',
    );
    expect(() => createJudgeClient({ timeoutMs: 0 })).toThrow(/must be more than 0/);
    expect(createJudgeClient({ timeoutMs: 2 ** 31 - 1 }).api).toBe('ollama');
  });

  it('gives up on a streamed line that never ends, holding at most 4 MiB of it', async () => {
    server = await startJudgeServer({ models: ['llama3'], answer, fail: () => 'endless-line' });
    const client = createJudgeClient({ endpoint: server.url, timeoutMs: 60_000, retries: 1, backoffMs: 5 });
    const before = process.memoryUsage().rss;
    const error = (await client.ask('Score this.').catch((e: unknown) => e)) as JudgeError;
    expect(error.failure).toBe('server');
    expect(error.message).toBe(
      `${server.url}/api/chat sent more than 4 MiB without finishing its answer; tried 2 times`,
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 2 ** 20);
  }, 20_000);

  it('times out a reply that stalls after its first piece', async () => {
    server = await startJudgeServer({ models: ['llama3'], answer, fail: () => 'stall' });
    const client = createJudgeClient({ endpoint: server.url, timeoutMs: 200, retries: 0 });
    const error = (await client.ask('Score this.').catch((e: unknown) => e)) as JudgeError;
    expect([error.failure, error.message]).toEqual([
      'timeout',
      `${server.url}/api/chat did not answer within 0.2 s; tried once`,
    ]);
  });

  it("tells a 404 from a server that is not Ollama apart from Ollama's model not found", async () => {
    server = await startJudgeServer({ models: ['llama3'], answer, fail: () => 'not-ollama-404' });
    for (const api of ['ollama', 'openai'] as const) {
      const client = createJudgeClient({ endpoint: server.url, api });
      const error = (await client.ask('Score this.').catch((e: unknown) => e)) as JudgeError;
      expect([error.failure, error.message]).toEqual([
        'no-endpoint',
        `${client.url} answered HTTP 404 (<html><body><h1>404 Not Found</h1></body></html>): no ${api === 'ollama' ? 'Ollama chat API (/api/chat)' : 'OpenAI-compatible chat API (/v1/chat/completions)'} there`,
      ]);
    }
  });

  it('skips and counts an entry whose reply keeps failing, and goes on with the next', async () => {
    // The second response's requests (2 and 3, its retry) get garbage, then an Ollama error line.
    const faults = { 2: 'garbage', 3: 'garbage', 4: 'error-line' } as const;
    server = await startJudgeServer({
      models: ['llama3'],
      answer,
      fail: (n) => faults[n as keyof typeof faults],
    });
    const client = createJudgeClient({ endpoint: server.url, retries: 1, backoffMs: 5 });
    const { summary, progress } = await judgeAll(client);
    expect(progress).toEqual([1, 2, 3, 4, 5]);
    expect(summary.scores).toEqual([85, null, null, 0, 92]);
    expect(summary.failed).toEqual([
      {
        index: 1,
        error: `${server.url}/api/chat streamed a line that is not JSON: <html>this is not JSON</html>; tried 2 times`,
      },
      { index: 2, error: 'the Ollama server reported: an unexpected error occurred while generating' },
    ]);
    expect(summary.skipped).toEqual([]);
    expect(summary.scored).toBe(3);
  });

  it('stops after the judge fails three responses in a row, having yielded each', async () => {
    server = await startJudgeServer({
      models: ['llama3'],
      answer,
      fail: (n) => (n > 1 ? 'garbage' : undefined),
    });
    const client = createJudgeClient({ endpoint: server.url, retries: 0 });
    const stream = judgeResponses(responses, client);
    const verdicts: unknown[] = [];
    const error = await (async () => {
      for await (const step of stream) verdicts.push(step.verdict);
    })().catch((e: unknown) => e);
    // The fourth response is empty: scored 0 unasked, it does not break the run of failures.
    expect(verdicts.map((v) => (v as { kind: string }).kind)).toEqual([
      'scored',
      'failed',
      'failed',
      'scored',
      'failed',
    ]);
    expect(error).toBeInstanceOf(JudgeError);
    expect((error as JudgeError).message).toBe(
      `the judge failed 3 responses in a row, the last: ${server.url}/api/chat streamed a line that is not JSON: <html>this is not JSON</html>; tried once`,
    );
  });

  it('resumes: entries with a known verdict are not asked again, failed ones are', async () => {
    server = await startJudgeServer({ models: ['llama3'], answer });
    const client = createJudgeClient({ endpoint: server.url });
    const previous = [
      { kind: 'scored', score: 85 },
      { kind: 'failed', failure: 'timeout', error: 'timed out' },
      { kind: 'skipped', answer: 'I would rate this response 5 out of 100.' },
    ] as const;
    const stream = judgeResponses(responses, client, { previous });
    const resumed: boolean[] = [];
    let next = await stream.next();
    for (; !next.done; next = await stream.next()) resumed.push(next.value.resumed);
    expect(resumed).toEqual([true, false, true, false, false]);
    expect(next.value.scores).toEqual([85, 20, null, 0, 92]);
    expect(next.value.skipped).toEqual([{ index: 2, answer: 'I would rate this response 5 out of 100.' }]);
    expect(server.requests).toHaveLength(2); // the second and the fifth; the fourth is empty
  });
});

describe('the scoring prompt and scores', () => {
  it("is the book's question with the Alpaca prompt, the output and the response", () => {
    expect(scoringPrompt(entry, 'The car is fast.')).toBe(
      `Given the input \`${alpaca.prompt(entry)}\` and correct output \`The car is as fast as lightning.\`, ` +
        'score the model response `The car is fast.` on a scale from 0 to 100, where 100 is the best score. ' +
        'Respond with the integer number only.',
    );
  });

  it('reads a bare integer from 0 to 100 and nothing else', () => {
    expect([parseScore('85'), parseScore(' 0\n'), parseScore('100')]).toEqual([85, 0, 100]);
    for (const answer of ['', '85.', 'Score: 85', '101', '-5', '8 5', '85/100', 'eighty']) {
      expect(parseScore(answer), answer).toBeNull();
    }
  });

  it('takes a server address or a full chat URL', () => {
    expect(chatEndpoint('http://localhost:11434/')).toEqual({
      url: 'http://localhost:11434/api/chat',
      api: 'ollama',
    });
    expect(chatEndpoint('http://h:1/api/chat')).toEqual({ url: 'http://h:1/api/chat', api: 'ollama' });
    expect(chatEndpoint('https://h/v1/chat/completions')).toEqual({
      url: 'https://h/v1/chat/completions',
      api: 'openai',
    });
    expect(chatEndpoint('http://h:8000', 'openai')).toEqual({
      url: 'http://h:8000/v1/chat/completions',
      api: 'openai',
    });
    expect(() => chatEndpoint('localhost:11434')).toThrow(/is not an http\(s\) URL/);
    expect(() => chatEndpoint('not a url')).toThrow(/is not a URL/);
  });
});
