/** The PyTorch-made GPT-2-format model (packages/hub/fixtures/tiny-gpt2) and temporary folders. */
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { HubError } from '../errors.js';

export function fixtureFile(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`../../fixtures/tiny-gpt2/${name}`, import.meta.url)));
}

export const tinyGpt2 = {
  'config.json': fixtureFile('config.json'),
  'model.safetensors': fixtureFile('model.safetensors'),
};

export function temporaryDir(label: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `scratchgpt-hub-${label}-`));
}

/** The HubError a promise rejects with (the test fails if it resolves or rejects with something else). */
export async function hubFailure(promise: Promise<unknown>): Promise<HubError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(HubError);
  return error as HubError;
}
