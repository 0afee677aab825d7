/** The trial scripts' model: small enough that a step takes milliseconds, with GPT-2's vocabulary. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A new temporary folder holding `tiny.json`: returns both paths. */
export function tinyWorkspace(prefix) {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const config = join(work, 'tiny.json');
  writeFileSync(
    config,
    JSON.stringify({
      vocabSize: 50257,
      contextLength: 16,
      embDim: 16,
      nHeads: 2,
      nLayers: 1,
      dropRate: 0.1,
      qkvBias: false,
    }),
  );
  return { work, config };
}
