/**
 * Runs a ```ts block of a package README (the first unless told), so every README example is a test
 * that can fail.
 * The block is written next to the README (its imports resolve as a user's would) and imported through
 * vitest, which compiles it; what it logs is returned.
 */

import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export function readmeExample(readmePath: string, index = 0): string {
  const markdown = readFileSync(readmePath, 'utf8');
  const block = [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)][index]?.[1];
  if (block == null) throw new Error(`${readmePath} has no \`\`\`ts example number ${index + 1}`);
  return block;
}

export async function runReadmeExample(readmePath: string, index = 0): Promise<string[]> {
  const file = join(dirname(readmePath), `.readme-example-${process.pid}-${index}.ts`);
  await writeFile(file, readmeExample(readmePath, index));
  const logged: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => {
    logged.push(args.map(String).join(' '));
  };
  try {
    await import(/* @vite-ignore */ file);
  } finally {
    console.log = log;
    await rm(file, { force: true });
  }
  return logged;
}
