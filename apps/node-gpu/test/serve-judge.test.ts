/**
 * `scratchgpt judge --endpoint` against `scratchgpt serve`, in both protocols: each of two chapter 7
 * responses is asked about with the book's scoring prompt, and the answer the served model gives is
 * scored or skipped as the judge's rules say.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type InstructionEntry, parseScore, scoringPrompt } from '@scratchgpt/instruct';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli } from './cli-harness.js';
import { makeServedModels, type ServedModels, type ServeProcess, startServe } from './serve-harness.js';

const bookData = new URL('../../../data/instruction-data.json', import.meta.url).pathname;
let models: ServedModels;
let server: ServeProcess;
let responsesFile: string;
let entries: Array<InstructionEntry & { model_response: string }>;
/** What the served model answers each scoring prompt, with the judge's settings (greedy, seed 123). */
let answers: string[];

beforeAll(async () => {
  assertBuilt();
  models = await makeServedModels();
  const book = JSON.parse(await readFile(bookData, 'utf8')) as InstructionEntry[];
  entries = book.slice(0, 2).map((entry) => ({ ...entry, model_response: entry.output }));
  responsesFile = join(models.work, 'responses.json');
  await writeFile(responsesFile, JSON.stringify(entries));
  server = await startServe(['--model', `judge=${models.tuned}`]);
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'none', maxRetries: 0 });
  answers = [];
  for (const entry of entries) {
    const reply = await client.chat.completions.create({
      model: 'judge',
      messages: [{ role: 'user', content: scoringPrompt(entry, entry.model_response) }],
      temperature: 0,
      seed: 123,
    });
    answers.push(reply.choices[0]!.message.content ?? '');
  }
});
afterAll(async () => {
  await server?.stop();
});

describe('judge --endpoint scratchgpt serve', () => {
  it.each([
    ['Ollama', (url: string) => ['--endpoint', url]],
    ['OpenAI', (url: string) => ['--endpoint', `${url}/v1`]],
  ])('scores through the %s protocol what the served model answers', async (_, endpoint) => {
    const result = await runCli([
      'judge',
      '--responses',
      responsesFile,
      ...endpoint(server.url),
      '--judge-model',
      'judge',
      '--retries',
      '0',
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const scores = answers.map(parseScore);
    const skipped = answers
      .map((answer, index) => ({ index, answer }))
      .filter((_, index) => scores[index] === null);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({
      scored: scores.filter((score) => score !== null).length,
      skipped: skipped.length,
      failed: 0,
      total: 2,
    });
    expect(summary.skippedAnswers.map((skip: { index: number }) => skip.index)).toEqual(
      skipped.map((skip) => skip.index),
    );
  });
});
