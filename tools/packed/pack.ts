/**
 * The published packages as npm would receive them: `pnpm pack` rewrites `workspace:*` ranges and
 * applies each package's `files`, exactly as `changeset publish` does through pnpm.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runOk } from '../run.js';

export const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface PackageManifest {
  name: string;
  version: string;
  private?: boolean;
  files?: string[];
  exports?: Record<string, unknown>;
  main?: string;
  types?: string;
  bin?: string | Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

export interface PackedPackage {
  name: string;
  /** The tarball, `<destination>/scratchgpt-<name>-<version>.tgz`. */
  tarball: string;
  /** Every path in the tarball, relative to its `package/` folder. */
  files: string[];
  /** The package.json inside the tarball (workspace ranges already rewritten). */
  manifest: PackageManifest;
}

interface PnpmPackEntry {
  name: string;
  filename: string;
  files: { path: string }[];
}

/** Packs every package under `packages/` into `destination` (the build must have run). */
export async function packPackages(destination: string): Promise<PackedPackage[]> {
  const json = await runOk(
    'pnpm',
    ['pack', '--recursive', '--filter', './packages/*', '--pack-destination', destination, '--json'],
    { cwd: repositoryRoot },
  );
  const entries = JSON.parse(json) as PnpmPackEntry[];
  return Promise.all(
    entries.map(async (entry) => ({
      name: entry.name,
      tarball: entry.filename,
      files: entry.files.map((file) => file.path).sort(),
      manifest: JSON.parse(
        await runOk('tar', ['-xOzf', entry.filename, 'package/package.json'], { cwd: destination }),
      ) as PackageManifest,
    })),
  );
}

/** Unpacks a tarball into `directory/package`. */
export async function unpack(packed: PackedPackage, directory: string): Promise<string> {
  await runOk('tar', ['-xzf', packed.tarball, '-C', directory], { cwd: directory });
  return join(directory, 'package');
}

/** A workspace package's own package.json. */
export async function workspaceManifest(relativeDirectory: string): Promise<PackageManifest> {
  return JSON.parse(
    await readFile(join(repositoryRoot, relativeDirectory, 'package.json'), 'utf8'),
  ) as PackageManifest;
}
