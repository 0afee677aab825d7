import { afterEach, describe, expect, it, vi } from 'vitest';
import { stopOnInterrupt } from './schedule.js';
import type { TrainReporter } from './train-reporter.js';

const logged: string[] = [];
const reporter = { log: (line: string) => logged.push(line) } as unknown as TrainReporter;

afterEach(() => {
  vi.restoreAllMocks();
  logged.length = 0;
});

/** Ctrl-C at each of `times` (milliseconds): whether the run was asked to stop, and the exit codes. */
function interrupt(times: number[]): { aborted: boolean; exits: unknown[] } {
  const exits: unknown[] = [];
  vi.spyOn(process, 'exit').mockImplementation(((code?: number) => exits.push(code)) as never);
  const clock = vi.spyOn(performance, 'now');
  const { signal, release } = stopOnInterrupt(reporter);
  try {
    for (const time of times) {
      clock.mockReturnValue(time);
      process.emit('SIGINT');
    }
  } finally {
    release();
  }
  return { aborted: signal.aborted, exits };
}

describe('stopOnInterrupt', () => {
  it('stops after the step on the first Ctrl-C, and says so once', () => {
    expect(interrupt([5_000])).toEqual({ aborted: true, exits: [] });
    expect(logged).toEqual(['Stopping after this step and saving… (Ctrl-C again to quit at once)']);
  });

  it('takes a SIGINT within a second of the first as the same Ctrl-C (pnpm exec forwards it)', () => {
    expect(interrupt([5_000, 5_003, 5_900])).toEqual({ aborted: true, exits: [] });
  });

  it('quits at once on a second Ctrl-C a second or more later', () => {
    expect(interrupt([5_000, 6_000])).toEqual({ aborted: true, exits: [130] });
  });
});
