import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PackedPackage, packPackages, unpack } from './pack.js';
import { missingEntries, unwantedFiles } from './tarball-contents.js';

let folder: string;
let packed: PackedPackage[];

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'scratchgpt-tarballs-'));
  packed = await packPackages(folder);
});
afterAll(() => rm(folder, { recursive: true, force: true }));

describe('every published tarball', () => {
  it('is packed, one per package', () => {
    expect(packed.map((entry) => entry.name).sort()).toEqual([
      '@scratchgpt/attention',
      '@scratchgpt/classifier',
      '@scratchgpt/data-loader',
      '@scratchgpt/embeddings',
      '@scratchgpt/files',
      '@scratchgpt/gpt-model',
      '@scratchgpt/hub',
      '@scratchgpt/instruct',
      '@scratchgpt/lora',
      '@scratchgpt/open-models',
      '@scratchgpt/tensor',
      '@scratchgpt/tokenizer',
      '@scratchgpt/trainer',
    ]);
  });

  it('holds every file its package.json points at (run `pnpm build` first)', () => {
    for (const entry of packed) expect(missingEntries(entry.manifest, entry.files), entry.name).toEqual([]);
  });

  it('holds no tests, test helpers, fixtures, or code reading files outside the package', async () => {
    for (const entry of packed) {
      const directory = join(folder, entry.name.replace('/', '+'));
      await mkdir(directory);
      expect(await unwantedFiles(await unpack(entry, directory), entry.files), entry.name).toEqual([]);
    }
  });

  it('names its dependencies by version, not by workspace protocol', () => {
    for (const { name, manifest } of packed) {
      const ranges = { ...manifest.dependencies, ...manifest.peerDependencies };
      expect(
        Object.entries(ranges).filter(([, range]) => range.startsWith('workspace:')),
        name,
      ).toEqual([]);
    }
  });
});

describe('the checks', () => {
  it('find test code, fixtures and reads outside the package', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'scratchgpt-unwanted-'));
    await mkdir(join(directory, 'src/test'), { recursive: true });
    await writeFile(
      join(directory, 'src/test/corpora.ts'),
      "new URL('../../../../data/a.txt', import.meta.url)",
    );
    await writeFile(join(directory, 'src/a.test.ts'), "import { it } from 'vitest';");
    await writeFile(join(directory, 'src/ok.ts'), "import { b } from './b.js';");
    await writeFile(join(directory, 'vitest.config.ts'), '');
    const problems = await unwantedFiles(directory, [
      'src/test/corpora.ts',
      'src/a.test.ts',
      'src/ok.ts',
      'fixtures/x.safetensors',
      'vitest.config.ts',
    ]);
    await rm(directory, { recursive: true, force: true });
    expect(problems).toEqual([
      "src/test/corpora.ts: inside a 'test' folder (test code or fixtures)",
      "src/test/corpora.ts: refers to '../../../../data/a.txt', outside the package",
      'src/a.test.ts: a test file',
      'src/a.test.ts: imports a test framework',
      "fixtures/x.safetensors: not part of the build, its sources or the package's documents",
      "fixtures/x.safetensors: inside a 'fixtures' folder (test code or fixtures)",
      "vitest.config.ts: not part of the build, its sources or the package's documents",
    ]);
  });

  it('find entry points the tarball lacks', () => {
    const manifest = {
      name: 'x',
      version: '0.0.0',
      exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
      bin: { x: './dist/cli.js' },
    };
    expect(missingEntries(manifest, ['dist/index.js', 'package.json'])).toEqual([
      'dist/index.d.ts: named in package.json, missing from the tarball',
      'dist/cli.js: named in package.json, missing from the tarball',
    ]);
  });
});
