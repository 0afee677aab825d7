import type { BackendChoice, BackendPreference } from '@scratchgpt/tensor';
import { startBackend } from '../backend.js';
import type { Output } from '../output.js';

/** What every command gets: where to write, the seed, and the backend it may start. */
export interface CommandContext {
  output: Output;
  seed: number;
  backend: BackendPreference;
  startBackend(): Promise<BackendChoice>;
}

export function createContext(output: Output, seed: number, backend: BackendPreference): CommandContext {
  let started: Promise<BackendChoice> | undefined;
  return {
    output,
    seed,
    backend,
    startBackend: () => {
      started ??= startBackend(backend, output);
      return started;
    },
  };
}
