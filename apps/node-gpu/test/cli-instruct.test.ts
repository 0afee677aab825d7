/**
 * Instruction fine-tuning, answers, the judge and chat, through the built CLI: the run directory, its
 * resume, the responses file, the judge against a loopback server, and chat in a real terminal.
 */
import { cpSync, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSafetensors } from '@scratchgpt/tensor';
import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  closedPort,
  type JudgeServer,
  startJudgeServer,
} from '../../../packages/instruct/src/test-support/judge-server.js';
import { assertBuilt, jsonLines, ownStderr, runCli } from './cli-harness.js';
import { oneTokenModel } from './one-token-model.js';
import { openTerminal } from './pty-harness.js';

// GPT-2's vocabulary, so it reads BPE tokens; a context that holds the book's longest entries (91).
const tinyConfig = {
  vocabSize: 50257,
  contextLength: 96,
  embDim: 16,
  nHeads: 2,
  nLayers: 1,
  dropRate: 0,
  qkvBias: false,
};
const backend = ['--backend', 'wasm'];
const bookData = new URL('../../../data/instruction-data.json', import.meta.url).pathname;
let work: string;
/** A pretraining run the instruction tuning starts from. */
let pretrained: string;
/** An instruction-tuning run of 2 steps. */
let tuned: string;
/** A checkpoint whose every next token is <|endoftext|>. */
let terse: string;

beforeAll(async () => {
  assertBuilt();
  work = await mkdtemp(join(tmpdir(), 'scratchgpt-instruct-'));
  await writeFile(join(work, 'tiny.json'), JSON.stringify(tinyConfig));
  pretrained = join(work, 'pretrained');
  const pre = await runCli([
    'train',
    '--config',
    join(work, 'tiny.json'),
    '--steps',
    '1',
    '--eval-every',
    '0',
    '--out',
    pretrained,
    ...backend,
  ]);
  expect(pre.code, pre.stderr).toBe(0);
  tuned = join(work, 'tuned');
  const args = [
    'instruct',
    'train',
    '--model',
    pretrained,
    '--out',
    tuned,
    '--steps',
    '2',
    '--batch-size',
    '2',
  ];
  const result = await runCli([
    ...args,
    '--eval-every',
    '1',
    '--eval-batches',
    '1',
    '--lr',
    '1e-3',
    '--json',
    ...backend,
  ]);
  expect(result.code, result.stderr).toBe(0);
  tunedEvents = jsonLines(result.stdout);
  tunedStderr = result.stderr;
  terse = await oneTokenModel(join(pretrained, 'checkpoints', 'step-000001'), join(work, 'terse'), 50256);
});
let tunedEvents: Array<Record<string, unknown>>;
let tunedStderr: string;

describe('instruct train', () => {
  it("reports the book's initial losses as step 0, then steps and evaluations, and saves an instruction run", async () => {
    expect(tunedEvents.map((e) => `${e.event}:${e.step}`)).toEqual([
      'eval:0',
      'step:1',
      'eval:1',
      'step:2',
      'eval:2',
      'checkpoint:2',
      'done:2',
    ]);
    expect(tunedEvents[0]!.valLoss).toBeGreaterThan(10); // about ln(50257) before any tuning
    expect(ownStderr(tunedStderr)).toEqual([
      `instruction-tuning ${pretrained} into ${tuned}: 1,613,024 parameters; 935 training entries (467 batches of 2), 55 validation entries; alpaca prompts`,
    ]);
    const manifest = JSON.parse(await readFile(join(tuned, 'checkpoint.json'), 'utf8'));
    expect(manifest).toMatchObject({
      task: 'instruct',
      step: 2,
      run: { data: bookData, context: 96, batchSize: 2, shuffle: true, seed: 123 },
      instruct: { promptFormat: 'alpaca', maskPrompt: false, bucketByLength: false },
    });
    expect(existsSync(join(tuned, 'loss.svg'))).toBe(true);
  });

  it('resumes exactly where it stopped, and refuses a resume that would change the batches', async () => {
    const copy = join(work, 'resumed');
    cpSync(tuned, copy, { recursive: true });
    const resumed = await runCli([
      'instruct',
      'train',
      '--model',
      copy,
      '--steps',
      '3',
      '--json',
      ...backend,
    ]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(
      jsonLines(resumed.stdout)
        .filter((e) => e.event === 'step')
        .map((e) => e.step),
    ).toEqual([3]);
    const changed = await runCli([
      'instruct',
      'train',
      '--model',
      copy,
      '--steps',
      '4',
      '--mask-prompt',
      ...backend,
    ]);
    expect(changed.code).toBe(2);
    expect(changed.stderr.trim()).toBe(
      `scratchgpt: instruct train: --mask-prompt differs from the run in ${copy} (false); a resumed run keeps it: leave --mask-prompt out, or start a new run from its weights with --out NEW_DIR`,
    );
    const asText = await runCli(['train', '--model', copy, '--steps', '4', ...backend]);
    expect([asText.code, asText.stderr.trim()]).toEqual([
      2,
      `scratchgpt: train: ${copy} is an instruction-tuning run: resume it with 'scratchgpt instruct train --model ${copy}'`,
    ]);
  });

  it('resumes a run whose checkpoint.json was written before manifests named their task', async () => {
    const old = join(work, 'old-manifest');
    cpSync(tuned, old, { recursive: true });
    const manifestPath = join(old, 'checkpoint.json');
    const { task, ...written } = JSON.parse(await readFile(manifestPath, 'utf8'));
    expect([task, written.instruct?.promptFormat]).toEqual(['instruct', 'alpaca']);
    await writeFile(manifestPath, JSON.stringify(written));
    // Still an instruction-tuning run: `train` refuses it, `instruct train` resumes it.
    const asText = await runCli(['train', '--model', old, '--steps', '4', ...backend]);
    expect([asText.code, asText.stderr.trim()]).toEqual([
      2,
      `scratchgpt: train: ${old} is an instruction-tuning run: resume it with 'scratchgpt instruct train --model ${old}'`,
    ]);
    const resumed = await runCli(['instruct', 'train', '--model', old, '--steps', '3', '--json', ...backend]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(
      jsonLines(resumed.stdout)
        .filter((e) => e.event === 'step')
        .map((e) => e.step),
    ).toEqual([3]);
    expect(JSON.parse(await readFile(manifestPath, 'utf8'))).toMatchObject({
      task: 'instruct',
      step: 3,
      instruct: written.instruct,
    });
  });

  it('says in one line what is wrong with its data or its model', async () => {
    const bad = join(work, 'bad.jsonl');
    await writeFile(
      bad,
      '{"instruction":"Say hi.","output":"Hi."}\n{"instruction":"Count.","answer":"1 2 3"}\n',
    );
    const out = join(work, 'never');
    const badData = await runCli([
      'instruct',
      'train',
      '--model',
      pretrained,
      '--out',
      out,
      '--data',
      bad,
      ...backend,
    ]);
    expect([badData.code, badData.stderr.trim()]).toEqual([
      1,
      `scratchgpt: --data ${bad}: line 2 has no "output" (every entry needs "instruction" and "output" strings)`,
    ]);
    const noOut = await runCli(['instruct', 'train', '--model', pretrained, ...backend]);
    expect([noOut.code, noOut.stderr.trim()]).toEqual([
      2,
      `scratchgpt: instruct train: give --out DIR for the new run (--model ${pretrained} is the model it starts from)`,
    ]);
    const unknown = await runCli(['instruct', 'trian', '--model', pretrained]);
    expect([unknown.code, unknown.stderr.trim()]).toEqual([
      2,
      "scratchgpt: instruct: unknown subcommand 'trian'; did you mean 'train'?: train, dpo or respond. See 'scratchgpt help instruct'.",
    ]);
  });
  it('trains LoRA updates on frozen weights, resumes them exactly, and every command loads them merged', async () => {
    const lora = (out: string, steps: number, extra: string[] = []) =>
      runCli([
        ...['instruct', 'train', '--model', pretrained, '--out', out, '--steps', String(steps)],
        ...['--batch-size', '2', '--lr', '1e-2', '--eval-every', '0', '--lora-rank', '2', '--json'],
        ...extra,
        ...backend,
      ]);
    const straight = join(work, 'lora-straight');
    const run = await lora(straight, 4);
    expect(run.code, run.stderr).toBe(0);
    // Every Linear of the block: four 16→16 in attention, 16→64 and 64→16; (in + out) × rank each.
    expect(ownStderr(run.stderr).join('\n')).toContain('LoRA rank 2, alpha 2: 576 parameters train');
    const tensorsOf = async (path: string) => parseSafetensors(new Uint8Array(await readFile(path))).tensors;
    const base = await tensorsOf(join(pretrained, 'model.safetensors'));
    const kept = await tensorsOf(join(straight, 'model.safetensors'));
    expect([...kept.keys()].sort()).toEqual([...base.keys()].sort());
    for (const [name, tensor] of base) expect(kept.get(name)!.data, name).toEqual(tensor.data);
    const adapters = await tensorsOf(join(straight, 'adapter.safetensors'));
    expect(adapters.size).toBe(12);
    expect([...adapters.get('trf_blocks.0.att.W_query.lora.B')!.data].some((v) => v !== 0)).toBe(true);

    const halves = join(work, 'lora-halves');
    expect((await lora(halves, 2)).code).toBe(0);
    const resumed = await runCli([
      'instruct',
      'train',
      '--model',
      halves,
      '--steps',
      '4',
      '--json',
      ...backend,
    ]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const bytes = (dir: string) => readFile(join(dir, 'adapter.safetensors'));
    expect((await bytes(halves)).equals(await bytes(straight))).toBe(true);
    const changed = await runCli([
      'instruct',
      'train',
      '--model',
      halves,
      '--steps',
      '5',
      '--lora-rank',
      '4',
      ...backend,
    ]);
    expect([changed.code, changed.stderr.trim()]).toEqual([
      2,
      `scratchgpt: instruct train: --lora-rank differs from the run in ${halves} (2); a resumed run keeps it: leave --lora-rank out, or start a new run from its weights with --out NEW_DIR`,
    ]);

    const loss = async (model: string) => {
      const result = await runCli(['eval', '--model', model, '--context', '32', '--json', ...backend]);
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout).loss as number;
    };
    const merged = join(work, 'lora-merged');
    const convert = await runCli([
      'convert',
      '--model',
      straight,
      '--out',
      merged,
      '--layout',
      'hf',
      ...backend,
    ]);
    expect(convert.code, convert.stderr).toBe(0);
    expect(existsSync(join(merged, 'adapter.safetensors'))).toBe(false);
    const [tunedLoss, mergedLoss, baseLoss] = [
      await loss(straight),
      await loss(merged),
      await loss(pretrained),
    ];
    expect(mergedLoss).toBe(tunedLoss);
    expect(tunedLoss).not.toBe(baseLoss);
  });

  it('says when a sample response is empty', async () => {
    const result = await runCli([
      ...['instruct', 'train', '--model', terse, '--out', join(work, 'terse-tuned')],
      ...['--steps', '1', '--batch-size', '2', '--eval-every', '0', '--sample-every', '1', ...backend],
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(ownStderr(result.stderr)).toContain(
      'sample at step 1: (an empty response: <|endoftext|> came first)',
    );
  });

  it('refuses a classifier run as the model to tune, answer with or chat with, in one line', async () => {
    const classifier = join(work, 'classifier');
    const made = await runCli([
      ...['classify', 'train', '--config', join(work, 'tiny.json'), '--out', classifier],
      ...['--steps', '1', '--max-length', '32', '--eval-every', '0', '--no-final-eval', ...backend],
    ]);
    expect(made.code, made.stderr).toBe(0);
    const refused = `--model ${classifier} is a classifier run: instructions need a language model (give the GPT it was fine-tuned from)`;
    const commands = [
      ['instruct', 'train', '--model', classifier, '--out', join(work, 'from-classifier')],
      ['instruct', 'respond', '--model', classifier, '--out', join(work, 'from-classifier.json')],
      ['chat', '--model', classifier],
    ];
    for (const command of commands) {
      const result = await runCli([...command, ...backend], { input: 'hello\n' });
      expect([result.code, result.stderr.trim()], command.join(' ')).toEqual([1, `scratchgpt: ${refused}`]);
    }
  });
});

describe('instruct respond', () => {
  it("writes the test entries with the model's answers, and counts those ended at <|endoftext|>", async () => {
    const out = join(work, 'responses.json');
    const result = await runCli([
      'instruct',
      'respond',
      '--model',
      tuned,
      '--out',
      out,
      '--limit',
      '3',
      '--max-new-tokens',
      '4',
      '--json',
      ...backend,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ out, responses: 3 });
    expect(summary.endedAtEndOfText + summary.endedAtTokenLimit).toBe(3);
    const written = JSON.parse(await readFile(out, 'utf8'));
    const data = JSON.parse(await readFile(bookData, 'utf8'));
    expect(written.map((e: Record<string, unknown>) => e.instruction)).toEqual(
      data.slice(935, 938).map((e: Record<string, unknown>) => e.instruction),
    );
    for (const entry of written) expect(typeof entry.model_response).toBe('string');
    const again = await runCli(['instruct', 'respond', '--model', tuned, '--out', out, ...backend]);
    expect([again.code, again.stderr.trim()]).toEqual([
      1,
      `scratchgpt: --out ${out} exists: choose another file, or pass --force to replace it`,
    ]);
  });

  it('stops each answer at the end-of-text id', async () => {
    const out = join(work, 'terse.json');
    const result = await runCli([
      'instruct',
      'respond',
      '--model',
      terse,
      '--out',
      out,
      '--split',
      'all',
      '--limit',
      '2',
      '--json',
      ...backend,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(ownStderr(result.stderr)[0]).toBe(`answering 2 entries with ${terse} (alpaca prompts)`);
    expect(JSON.parse(result.stdout)).toMatchObject({
      responses: 2,
      endedAtEndOfText: 2,
      endedAtTokenLimit: 0,
    });
    const written = JSON.parse(await readFile(out, 'utf8'));
    expect(written.map((e: Record<string, unknown>) => e.model_response)).toEqual(['', '']);
  });
});

describe('instruct respond checks --out first', () => {
  it('refuses a directory, a missing folder or a non-file before answering, leaving nothing behind', async () => {
    const here = await mkdtemp(join(work, 'outputs-'));
    const folder = join(here, 'a-folder');
    await mkdir(folder);
    const missing = join(here, 'missing', 'responses.json');
    const cases: Array<[string[], string]> = [
      [['--out', folder, '--force'], `--out ${folder} is a directory: give a file name`],
      [
        ['--out', missing],
        `--out ${missing}: the folder ${join(here, 'missing')} does not exist: create it first`,
      ],
      [['--out', '/dev/null', '--force'], '--out /dev/null is not a regular file: give a file name'],
    ];
    for (const [flags, message] of cases) {
      const result = await runCli([
        'instruct',
        'respond',
        '--model',
        tuned,
        '--limit',
        '1',
        ...flags,
        ...backend,
      ]);
      expect([result.code, ownStderr(result.stderr)], flags.join(' ')).toEqual([
        1,
        [`scratchgpt: ${message}`],
      ]);
    }
    expect(await readdir(here)).toEqual(['a-folder']);
    expect(await readdir(folder)).toEqual([]);
  });
});

describe('judge', () => {
  let server: JudgeServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const responses = async () => {
    const file = join(work, 'to-judge.json');
    const entry = { instruction: 'Name a primary color.', input: '', output: 'Red.' };
    const answers = ['Red.', 'Blue.', 'Banana.', ''].map((model_response) => ({ ...entry, model_response }));
    await writeFile(file, JSON.stringify(answers));
    return file;
  };
  const answer = (prompt: string) =>
    ({ 'Red.': '100', 'Blue.': '90', 'Banana.': 'I cannot rate that.' })[
      /response `([^`]*)`/.exec(prompt)?.[1] ?? ''
    ] ?? '?';

  it('prints the average, a histogram and the skipped answers; --json gives them as one object', async () => {
    server = await startJudgeServer({ models: ['llama3'], answer });
    const file = await responses();
    const text = await runCli(['judge', '--responses', file, '--endpoint', server.url]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.split('\n')[0]).toBe(
      'average score 63.33 over 3 of 4 responses (1 answer skipped: not an integer from 0 to 100)',
    );
    expect(text.stdout).toMatch(/^ {2}90–100 █+ +2$/m);
    expect(text.stdout).toMatch(/^ {5}0–9 █+ +1$/m);
    const json = await runCli(['judge', '--responses', file, '--endpoint', `${server.url}/v1`, '--json']);
    expect(JSON.parse(json.stdout)).toEqual({
      average: 190 / 3,
      scored: 3,
      skipped: 1,
      failed: 0,
      total: 4,
      resumed: 0,
      histogram: [1, 0, 0, 0, 0, 0, 0, 0, 0, 2],
      skippedAnswers: [{ index: 2, answer: 'I cannot rate that.' }],
      failedEntries: [],
    });
    expect(server.requests.at(-1)!.path).toBe('/v1/chat/completions');
  });

  it('says in one line that the judge model is not pulled, or that no server listens, or that it timed out', async () => {
    server = await startJudgeServer({
      models: ['llama3'],
      answer,
      fail: (n) => (n > 1 ? 'hang' : undefined),
    });
    const file = await responses();
    const missing = await runCli([
      'judge',
      '--responses',
      file,
      '--endpoint',
      server.url,
      '--judge-model',
      'llama3:70b',
    ]);
    expect([missing.code, ownStderr(missing.stderr).at(-1)]).toEqual([
      1,
      `scratchgpt: the Ollama server at ${server.url} has no model 'llama3:70b': pull it with 'ollama pull llama3:70b'`,
    ]);
    const slow = await runCli([
      'judge',
      '--responses',
      file,
      '--endpoint',
      server.url,
      '--timeout',
      '0.3',
      '--retries',
      '0',
    ]);
    // Every response it is asked about times out: three in a row stop the run.
    expect([slow.code, ownStderr(slow.stderr).at(-1)]).toEqual([
      1,
      `scratchgpt: the judge failed 3 responses in a row, the last: ${server.url}/api/chat did not answer within 0.3 s; tried once: raise --timeout, or check that the server is not overloaded`,
    ]);
    const nobody = await closedPort();
    const refused = await runCli(['judge', '--responses', file, '--endpoint', nobody]);
    expect([refused.code, ownStderr(refused.stderr).at(-1)]).toEqual([
      1,
      `scratchgpt: cannot reach ${nobody}/api/chat: connection refused (is the server running?): start the judge's server ('ollama serve') or point --endpoint at it`,
    ]);
  });

  it('refuses responses without a model_response before asking anyone', async () => {
    const file = join(work, 'no-responses.json');
    await writeFile(file, JSON.stringify([{ instruction: 'x', input: '', output: 'y' }]));
    const result = await runCli(['judge', '--responses', file, '--endpoint', 'http://127.0.0.1:9']);
    expect([result.code, result.stderr.trim()]).toEqual([
      1,
      `scratchgpt: --responses ${file}: entry 0 has no "model_response" string (write the file with 'scratchgpt instruct respond')`,
    ]);
  });
});

describe('chat', () => {
  it('from a pipe, answers each line in turn and trims the history to the context', async () => {
    const input = 'Name a primary color.\nName another one.\nAnd a third one?\nWhat about a fourth?\n';
    const result = await runCli(['chat', '--model', tuned, '--max-new-tokens', '24', '--json', ...backend], {
      input,
    });
    expect(result.code, result.stderr).toBe(0);
    const answers = jsonLines(result.stdout);
    expect(answers.map((a) => a.message)).toEqual(input.trim().split('\n'));
    for (const a of answers) expect(a).toMatchObject({ ended: 'token-limit', tokens: 24 });
    // 96 tokens, 24 kept for the answer: the preamble and about two turns fit.
    expect(answers[0]!.droppedTurns).toBe(0);
    expect(answers.some((a) => (a.droppedTurns as number) > 0)).toBe(true);
    expect(ownStderr(result.stderr)).toContain(
      '(left out the oldest turn: the conversation no longer fits the context)',
    );
  });

  it('from a pipe, prints each answer as one line, line breaks and all', async () => {
    const from = join(pretrained, 'checkpoints', 'step-000001');
    const newlines = await oneTokenModel(from, join(work, 'newlines'), 198); // GPT-2's "\n"
    const result = await runCli(['chat', '--model', newlines, '--max-new-tokens', '3', ...backend], {
      input: 'Hello?\nAgain?\n',
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('   \n   \n');
  });

  it('stops at the end-of-text id', async () => {
    const result = await runCli(['chat', '--model', terse, '--json', ...backend], { input: 'Hello?\n' });
    expect(jsonLines(result.stdout)).toEqual([
      { message: 'Hello?', response: '', ended: 'end-of-text', tokens: 0, droppedTurns: 0 },
    ]);
  });

  it.runIf(existsSync('/usr/bin/script'))(
    'in a terminal: streams the answer, Ctrl-C stops it and the session goes on, history is trimmed, Ctrl-D quits',
    async () => {
      const terminal = openTerminal([
        'chat',
        '--model',
        tuned,
        '--max-new-tokens',
        '2000',
        '--backend',
        'wasm',
      ]);
      await terminal.waitFor(/Ctrl-D quits\r\n> $/);
      let from = terminal.screen().length;
      terminal.type('Tell me a long story.\r');
      // The answer streams: the screen grows while the model is still answering.
      await terminal.waitFor(/story\.\r\r\n.{20}/s, from);
      const early = terminal.screen().length;
      await terminal.waitFor(new RegExp(`^[\\s\\S]{${early - from + 20}}`), from);
      terminal.type('\x03');
      await terminal.waitFor(/ \[stopped\]\r\n> $/, from);
      const tokenizer = getGPT2Tokenizer();
      const streamed = terminal
        .screen()
        .slice(from)
        .split('\r\r\n')[1]!
        .replace(/ \[stopped\][\s\S]*$/, '');
      expect(tokenizer.encode(streamed).length).toBeLessThan(2000); // stopped well before its limit
      // The session goes on: the next message is answered after the stopped one, which no longer fits.
      from = terminal.screen().length;
      terminal.type('And now?\r');
      await terminal.waitFor(
        /\(left out the oldest turn: the conversation no longer fits the context\)/,
        from,
      );
      terminal.type('\x03');
      await terminal.waitFor(/ \[stopped\]\r\n> $/, from);
      terminal.type('\x04');
      expect(await terminal.exited()).toBe(0);
    },
  );
});
