/**
 * Runs the first ```ts block of a package README, so every README example is a test that can fail.
 * The block is written next to the README (its imports resolve as a user's would) and imported through
 * vitest, which compiles it; what it logs is returned.
 */

import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export function readmeExample(readmePath: string): string {
  const markdown = readFileSync(readmePath, 'utf8');
  const match = /```ts\n([\s\S]*?)```/.exec(markdown);
  if (match?.[1] == null) throw new Error(`${readmePath} has no \`\`\`ts example`);
  return match[1];
}

export async function runReadmeExample(readmePath: string): Promise<string[]> {
  const file = join(dirname(readmePath), `.readme-example-${process.pid}.ts`);
  await writeFile(file, readmeExample(readmePath));
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
