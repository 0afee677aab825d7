/** The repository's READMEs: every tracked `README.md`, root first. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repositoryRoot } from '../packed/pack.js';

export interface Readme {
  /** Relative to the repository root, e.g. `packages/tensor/README.md`. */
  path: string;
  text: string;
}

export function readmes(): Readme[] {
  const listed = execFileSync('git', ['ls-files', '--', 'README.md', '**/README.md'], {
    cwd: repositoryRoot,
    encoding: 'utf8',
  });
  return listed
    .split('\n')
    .filter((path) => path !== '')
    .sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b))
    .map((path) => ({ path, text: readFileSync(join(repositoryRoot, path), 'utf8') }));
}
