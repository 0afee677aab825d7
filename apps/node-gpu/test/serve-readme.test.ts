/**
 * The README's serving examples, run as written against a served tiny instruction run named `sft`:
 * its curl line and its OpenAI client example (greedy, so both give the same answer).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from './cli-harness.js';
import { makeServedModels, type ServeProcess, startServe } from './serve-harness.js';

const run = promisify(execFile);
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const section = readme.split('## Serving: OpenAI and Ollama clients')[1]!.split('\n## ')[0]!;
const README_ADDRESS = 'http://127.0.0.1:8000';
let server: ServeProcess;

beforeAll(async () => {
  assertBuilt();
  const models = await makeServedModels();
  server = await startServe(['--model', `sft=${models.tuned}`]);
});
afterAll(async () => {
  await server?.stop();
});

/** The section's example as it would run against this test's server. */
const atServer = (text: string) => text.replaceAll(README_ADDRESS, server.url);

describe('README: serving', () => {
  it('runs the curl example and the OpenAI client example, which give the same greedy answer', async () => {
    const curl = /^curl .*$/m.exec(section)?.[0];
    const client = /```js\n([\s\S]*?)```/.exec(section)?.[1];
    expect(curl).toBeDefined();
    expect(client).toBeDefined();
    const { stdout } = await run('bash', ['-c', atServer(curl!)]);
    const reply = JSON.parse(stdout);
    expect(reply).toMatchObject({
      object: 'chat.completion',
      model: 'sft',
      usage: { completion_tokens: 20 },
    });
    // Written beside the app's package.json, so `openai` resolves as it would in a user's project.
    const script = fileURLToPath(new URL(`../.readme-serve-${process.pid}.mjs`, import.meta.url));
    await writeFile(script, atServer(client!));
    try {
      const streamed = await run(process.execPath, [script]);
      expect(streamed.stdout).toBe(reply.choices[0].message.content);
    } finally {
      await rm(script, { force: true });
    }
  });
});
