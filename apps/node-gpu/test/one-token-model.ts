/** A checkpoint edited to answer one token, always: for tests that need to know what comes next. */
import { cpSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseSafetensors, serializeSafetensors } from '@scratchgpt/tensor';

/** The final norm outputs one fixed vector that the head scores highest for token `id`. */
export async function oneTokenModel(from: string, to: string, id: number): Promise<string> {
  cpSync(join(from, 'config.json'), join(to, 'config.json'));
  const file = join(from, 'model.safetensors');
  const { tensors, metadata } = parseSafetensors(new Uint8Array(await readFile(file)), file);
  const edited = new Map(
    [...tensors].map(([name, { shape, data }]) => [name, { shape, data: Float32Array.from(data) }]),
  );
  edited.get('ln_f.weight')!.data.fill(0);
  edited.get('ln_f.bias')!.data.fill(1);
  const head = edited.get('lm_head.weight')!;
  const width = head.shape[1]!;
  head.data.fill(10, id * width, (id + 1) * width);
  await writeFile(join(to, 'model.safetensors'), serializeSafetensors(edited, metadata));
  return to;
}
