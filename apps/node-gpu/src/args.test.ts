import { describe, expect, it } from 'vitest';
import { type Flags, readCommandLine } from './args.js';
import { type Command, defineCommand, findCommand } from './commands/command.js';
import { UsageError } from './errors.js';
import { helpOf } from './help.js';

const flags = {
  model: { type: 'string', value: 'DIR', required: true, help: 'the model' },
  steps: { type: 'integer', value: 'S', min: 1, max: 100, default: 5, help: 'how many steps' },
  lr: { type: 'number', value: 'X', min: 0, exclusiveMin: true, help: 'the rate' },
  layout: { type: 'string', choices: ['hf', 'book'], help: 'the layout' },
  'no-shuffle': { type: 'boolean', help: 'keep the order' },
} as const satisfies Flags;

const read = (args: string[], positionals?: string) =>
  readCommandLine({ flags, ...(positionals ? { positionals } : {}) }, 'test', args);

/** The one-line message a command line is refused with. */
function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('not refused');
}

describe('readCommandLine', () => {
  it('types each value by its declaration, fills in defaults and says which flags were given', () => {
    const { values, given } = read(['--model', 'm', '--lr', '1e-3', '--no-shuffle', '--seed', '7']);
    expect(values).toMatchObject({ model: 'm', steps: 5, lr: 1e-3, 'no-shuffle': true, seed: 7 });
    expect(values.layout).toBeUndefined();
    expect(values.backend).toBe('auto');
    expect([...given].sort()).toEqual(['lr', 'model', 'no-shuffle', 'seed']);
  });

  it('gives a flag declared multiple every value in order, and requires at least one', () => {
    const many = {
      model: { type: 'string', value: 'DIR', required: true, multiple: true, help: 'a model' },
      format: { type: 'string', choices: ['a', 'b'], multiple: true, help: 'a format' },
    } as const satisfies Flags;
    const readMany = (args: string[]) => readCommandLine({ flags: many }, 'test', args).values;
    expect(readMany(['--model', 'x', '--model', 'y'])).toMatchObject({ model: ['x', 'y'], format: [] });
    expect(refusal(() => readMany([]))).toBe('test: --model is required');
    expect(refusal(() => readMany(['--model', 'x', '--format', 'a', '--format', 'z']))).toBe(
      "--format must be a or b, got 'z'; did you mean 'a'?",
    );
  });

  it('takes a negative number as a value, and checks it against the bounds', () => {
    expect(refusal(() => read(['--model', 'm', '--lr', '-1']))).toBe('--lr must be greater than 0, got -1');
    expect(refusal(() => read(['--model', 'm', '--seed', '-1']))).toBe('--seed must be at least 0, got -1');
    expect(refusal(() => read(['--model', 'm', '--steps', '101']))).toBe(
      '--steps must be at most 100, got 101',
    );
    expect(refusal(() => read(['--model', 'm', '--steps', '0x10']))).toBe(
      "--steps must be an integer, got '0x10'",
    );
    expect(refusal(() => read(['--model', 'm', '--lr', 'fast']))).toBe("--lr must be a number, got 'fast'");
  });

  it('checks values before what is required, and names the command', () => {
    expect(refusal(() => read(['--steps', '0']))).toBe('--steps must be at least 1, got 0');
    expect(refusal(() => read([]))).toBe('test: --model is required');
    expect(refusal(() => read(['--model=']))).toBe('test: --model is required');
  });

  it('refuses a value that is none of the choices, with the nearest one', () => {
    expect(refusal(() => read(['--model', 'm', '--layout', 'bok']))).toBe(
      "--layout must be hf or book, got 'bok'; did you mean 'book'?",
    );
    expect(refusal(() => read(['--model', 'm', '--backend', 'wsam']))).toBe(
      "--backend must be one of auto, node-gpu, webgpu, blas, wasm, cpu, got 'wsam'; did you mean 'wasm'?",
    );
  });

  it('answers an unknown flag with the nearest known one, its own or a global one', () => {
    expect(refusal(() => read(['--stpes', '3']))).toBe(
      "test: Unknown option '--stpes'; did you mean '--steps'? See 'scratchgpt help test'.",
    );
    expect(refusal(() => read(['--jsno']))).toContain("did you mean '--json'?");
    expect(refusal(() => read(['--frobnicate']))).toBe(
      "test: Unknown option '--frobnicate'. See 'scratchgpt help test'.",
    );
  });

  it('takes positional arguments only where they are declared', () => {
    expect(refusal(() => read(['--model', 'm', 'extra']))).toBe(
      "test: Unexpected argument 'extra' (this command takes only flags). See 'scratchgpt help test'.",
    );
    expect(read(['a', '--model', 'm', 'b'], 'TEXT...').positionals).toEqual(['a', 'b']);
  });

  it('says on one line that a flag lacks its value', () => {
    const message = refusal(() => read(['--model', '--lr', '1']));
    expect(message).not.toContain('\n');
    expect(message).toMatch(
      /^test: Option '--model' argument is ambiguous\. .* See 'scratchgpt help test'\.$/,
    );
  });
});

const leaf = (summary: string) =>
  defineCommand({ summary, description: summary, flags: {}, run: async () => 0 });
const commands: Record<string, Command> = {
  train: leaf('train'),
  classify: {
    summary: 'classifiers',
    description: 'classifiers',
    subcommands: { train: leaf('classify train'), predict: leaf('classify predict') },
  },
};

describe('findCommand', () => {
  it('walks down the subcommands, and stops at a group for --help or when the words run out', () => {
    expect(findCommand(commands, ['classify', 'train', '--x'])).toMatchObject({
      path: 'classify train',
      rest: ['--x'],
    });
    expect(findCommand(commands, ['classify', '--help']).path).toBe('classify');
    expect(findCommand(commands, ['classify']).path).toBe('classify');
  });

  it('suggests the nearest command or subcommand', () => {
    expect(refusal(() => findCommand(commands, ['trian']))).toBe(
      "Unknown command 'trian'; did you mean 'train'? Commands: train, classify",
    );
    expect(refusal(() => findCommand(commands, ['classify', 'predcit']))).toBe(
      "classify: unknown subcommand 'predcit'; did you mean 'predict'?: train or predict. See 'scratchgpt help classify'.",
    );
  });
});

describe('helpOf', () => {
  it('writes the usage from the flags, each flag with its default and bound, the long ones on two lines', () => {
    const command = defineCommand({
      summary: 'test',
      description: 'Tests.',
      flags: {
        ...flags,
        'a-rather-long-flag-name': { type: 'string', value: 'VALUE', help: 'long', section: 'More' },
      },
      notes: 'With --json: {}.',
      run: async () => 0,
    });
    const help = helpOf('test', command);
    expect(help).toMatch(
      /^usage: scratchgpt test --model DIR \[--steps S\] \[--lr X\] \[--layout hf\|book\] \[--no-shuffle\] \[--a-rather-long-flag-name VALUE\]\n\nTests\.\n\n/,
    );
    expect(help).toContain('  --steps S              how many steps (default: 5; at most 100)\n');
    expect(help).toContain('\n\nMore:\n  --a-rather-long-flag-name VALUE\n                         long\n');
    expect(help).toContain('With --json: {}.\n\nGlobal options (every command):\n');
  });

  it('lists a group’s subcommands with the usage of each', () => {
    const help = helpOf('classify', commands.classify!);
    expect(help).toMatch(/^usage: scratchgpt classify train\n {7}scratchgpt classify predict\n/);
    expect(help).toContain('Subcommands:\n  train    classify train\n  predict  classify predict\n');
  });
});
