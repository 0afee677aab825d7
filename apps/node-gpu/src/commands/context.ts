import type { BackendChoice, BackendPreference } from '@scratchgpt/tensor';
import { startBackend } from '../backend.js';
import type { Output } from '../output.js';

/** What every command gets: where to write, the seed, and the backend it may start. */
export interface CommandContext {
  output: Output;
  seed: number;
  /** Whether --seed was given (a resumed run keeps its own unless it was). */
  seedGiven: boolean;
  backend: BackendPreference;
  /** --debug: stack traces and the backends' own warnings. */
  debug: boolean;
  startBackend(): Promise<BackendChoice>;
}

export function createContext(
  output: Output,
  settings: { seed: number; seedGiven: boolean; backend: BackendPreference; debug: boolean },
): CommandContext {
  let started: Promise<BackendChoice> | undefined;
  return {
    output,
    ...settings,
    startBackend: () => {
      started ??= startBackend(settings.backend, output, settings.debug);
      return started;
    },
  };
}
