/**
 * What a published tarball may hold: the build, the sources it was built from (readers and the
 * `@scratchgpt/source` condition use them), README, LICENSE and package.json. Never tests, test
 * helpers, fixtures or anything that reads files outside the package.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import type { PackageManifest } from './pack.js';

const topLevelFiles = new Set(['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']);
const topLevelFolders = new Set(['dist', 'src']);
const testFolders = new Set([
  'test',
  'tests',
  '__tests__',
  'test-support',
  'fixtures',
  '__fixtures__',
  'bench',
]);
const testFile = /\.(test|spec|bench)\.[cm]?[jt]sx?$/;
const testImport = /from\s+['"](vitest|@vitest\/[^'"]+|node:test)['"]|import\(\s*['"]vitest['"]\s*\)/;
/** String literals that are relative paths: `'../x'`, `"./y"`, `` `../../data/${name}` ``. */
const relativeLiteral = /(['"`])(\.\.?\/[^'"`\s]*)\1/g;
const code = /\.[cm]?[jt]sx?$/;

/** Paths of a tarball that must not be published, each with the reason. */
export async function unwantedFiles(packageDirectory: string, files: readonly string[]): Promise<string[]> {
  const problems: string[] = [];
  for (const file of files) {
    const segments = file.split('/');
    const [top] = segments;
    if (segments.length === 1 ? !topLevelFiles.has(file) : !topLevelFolders.has(top ?? '')) {
      problems.push(`${file}: not part of the build, its sources or the package's documents`);
    }
    if (testFile.test(file)) problems.push(`${file}: a test file`);
    const folder = segments.slice(0, -1).find((segment) => testFolders.has(segment));
    if (folder !== undefined) problems.push(`${file}: inside a '${folder}' folder (test code or fixtures)`);
    if (!code.test(file)) continue;
    const text = await readFile(join(packageDirectory, file), 'utf8');
    if (testImport.test(text)) problems.push(`${file}: imports a test framework`);
    for (const [, , literal] of text.matchAll(relativeLiteral)) {
      const target = resolve(packageDirectory, dirname(file), literal ?? '');
      if (relative(packageDirectory, target).startsWith('..')) {
        problems.push(`${file}: refers to '${literal}', outside the package`);
      }
    }
  }
  return problems;
}

/** Every file the manifest points at (exports, main, types, bin) that the tarball lacks. */
export function missingEntries(manifest: PackageManifest, files: readonly string[]): string[] {
  const present = new Set(files);
  return entryPoints(manifest)
    .map((target) => target.replace(/^\.\//, ''))
    .filter((target) => !present.has(target))
    .map((target) => `${target}: named in package.json, missing from the tarball`);
}

function entryPoints(manifest: PackageManifest): string[] {
  const targets: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === 'string') targets.push(value);
    else if (value != null && typeof value === 'object') Object.values(value).forEach(collect);
  };
  collect(manifest.exports);
  collect(manifest.main);
  collect(manifest.types);
  collect(manifest.bin);
  return [...new Set(targets)];
}
