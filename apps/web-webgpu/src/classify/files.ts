/** A classifier's files as chosen on the page: read, named, and checked for what is missing. */
import type { ClassifierFileSet } from '../classify-protocol.js';

const required = ['config.json', 'model.safetensors', 'classifier.json', 'classifier.safetensors'] as const;

export async function pickClassifierFiles(
  chosen: readonly File[],
): Promise<{ files: ClassifierFileSet; names: Record<string, string>; transfer: ArrayBuffer[] }> {
  const byName = new Map(chosen.map((file) => [file.name.toLowerCase(), file]));
  const missing = required.filter((name) => !byName.has(name));
  if (missing.length > 0) {
    const names = chosen.length === 0 ? 'none' : chosen.map((file) => file.name).join(', ');
    throw new Error(
      `Choose a classifier's files together: ${required.join(', ')} (and adapter.safetensors with LoRA); missing ${missing.join(', ')} (chosen: ${names})`,
    );
  }
  const file = (name: string) => byName.get(name) as File;
  const adapters = byName.get('adapter.safetensors');
  const files: ClassifierFileSet = {
    config: await file('config.json').text(),
    weights: await file('model.safetensors').arrayBuffer(),
    head: await file('classifier.safetensors').arrayBuffer(),
    settings: await file('classifier.json').text(),
    ...(adapters ? { adapters: await adapters.arrayBuffer() } : {}),
  };
  const names = {
    config: 'config.json',
    weights: 'model.safetensors',
    head: 'classifier.safetensors',
    settings: 'classifier.json',
    adapters: 'adapter.safetensors',
  };
  return { files, names, transfer: [files.weights, files.head, ...(files.adapters ? [files.adapters] : [])] };
}
