/**
 * A fresh npm project that installs the packed packages as a user's project installs the published
 * ones. The tarballs are copied into the project and every `@scratchgpt/*` name is overridden to its
 * tarball, so nothing is looked up on the registry under the packages' names; everything else
 * (TF.js, js-tiktoken) comes from the npm registry.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { type RunResult, run } from '../run.js';
import type { PackedPackage } from './pack.js';

export interface NpmProject {
  directory: string;
  /** `file:` specs of the tarballs, by package name, as npm writes them into package.json. */
  specs: Map<string, string>;
  /** Runs `npm <args>` in the project. */
  npm(args: readonly string[]): Promise<RunResult>;
}

export async function createNpmProject(
  directory: string,
  packed: readonly PackedPackage[],
  options: { dependencies?: Record<string, string>; overrides?: Record<string, string> } = {},
): Promise<NpmProject> {
  await mkdir(join(directory, 'packs'), { recursive: true });
  const specs = new Map<string, string>();
  for (const entry of packed) {
    const file = basename(entry.tarball);
    await copyFile(entry.tarball, join(directory, 'packs', file));
    specs.set(entry.name, `file:packs/${file}`);
  }
  const manifest = {
    name: 'packed-packages-check',
    private: true,
    type: 'module',
    dependencies: options.dependencies ?? {},
    // npm accepts an override of a direct dependency only when both specs are equal: the `file:`
    // spec npm itself writes for `npm install ./packs/<file>.tgz` is this one.
    overrides: { ...Object.fromEntries(specs), ...options.overrides },
  };
  await writeFile(join(directory, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return {
    directory,
    specs,
    npm: (args) => run('npm', [...args, '--no-audit', '--no-fund'], { cwd: directory, timeoutSeconds: 600 }),
  };
}
