/** A classifier's files as chosen on the page: read, named, and checked for what is missing. */
import { ADAPTER_FILE, CLASSIFIER_SETTINGS_FILE, HEAD_FILE } from '@scratchgpt/classifier';
import { CONFIG_FILE, WEIGHTS_FILE } from '@scratchgpt/gpt-model';
import type { ClassifierFileSet } from '../classify-protocol.js';

const required = [CONFIG_FILE, WEIGHTS_FILE, CLASSIFIER_SETTINGS_FILE, HEAD_FILE] as const;

export async function pickClassifierFiles(
  chosen: readonly File[],
): Promise<{ files: ClassifierFileSet; names: Record<string, string>; transfer: ArrayBuffer[] }> {
  const byName = new Map(chosen.map((file) => [file.name.toLowerCase(), file]));
  const missing = required.filter((name) => !byName.has(name));
  if (missing.length > 0) {
    const names = chosen.length === 0 ? 'none' : chosen.map((file) => file.name).join(', ');
    throw new Error(
      `Choose a classifier's files together: ${required.join(', ')} (and ${ADAPTER_FILE} with LoRA); missing ${missing.join(', ')} (chosen: ${names})`,
    );
  }
  const file = (name: string) => byName.get(name) as File;
  const adapters = byName.get(ADAPTER_FILE);
  const files: ClassifierFileSet = {
    config: await file(CONFIG_FILE).text(),
    weights: await file(WEIGHTS_FILE).arrayBuffer(),
    head: await file(HEAD_FILE).arrayBuffer(),
    settings: await file(CLASSIFIER_SETTINGS_FILE).text(),
    ...(adapters ? { adapters: await adapters.arrayBuffer() } : {}),
  };
  const names = {
    config: CONFIG_FILE,
    weights: WEIGHTS_FILE,
    head: HEAD_FILE,
    settings: CLASSIFIER_SETTINGS_FILE,
    adapters: ADAPTER_FILE,
  };
  return { files, names, transfer: [files.weights, files.head, ...(files.adapters ? [files.adapters] : [])] };
}
