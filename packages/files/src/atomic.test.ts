import { link, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  isTemporaryPath,
  renameIntoPlace,
  temporaryPath,
  writeFileAtomic,
  writeFileAtomicWith,
} from './atomic.js';

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'scratchgpt-files-'));
});
afterEach(() => rm(folder, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('creates a file, and replaces an existing one whole: nothing of the longer old one is left', async () => {
    const path = join(folder, 'model.safetensors');
    await writeFileAtomic(path, 'a much longer first version');
    await writeFileAtomic(path, new TextEncoder().encode('short'));
    expect(await readFile(path, 'utf8')).toBe('short');
    expect(await readdir(folder)).toEqual(['model.safetensors']);
  });

  it('replaces the file rather than writing into it: a hard link to the old one keeps the old bytes', async () => {
    const path = join(folder, 'config.json');
    await writeFileAtomic(path, 'old');
    await link(path, join(folder, 'linked.json'));
    await writeFileAtomic(path, 'new');
    expect(await readFile(path, 'utf8')).toBe('new');
    expect(await readFile(join(folder, 'linked.json'), 'utf8')).toBe('old');
  });

  it('leaves the previous file and no temporary one when the data cannot be written', async () => {
    const path = join(folder, 'config.json');
    await writeFileAtomic(path, 'kept');
    const failing = {
      [Symbol.iterator]: () => {
        throw new Error('disk full');
      },
    } as unknown as string;
    await expect(writeFileAtomic(path, failing)).rejects.toThrow();
    expect(await readFile(path, 'utf8')).toBe('kept');
    expect(await readdir(folder)).toEqual(['config.json']);
  });

  it('leaves no temporary file when the rename fails (a directory in the way)', async () => {
    await mkdir(join(folder, 'responses.json'));
    await expect(writeFileAtomic(join(folder, 'responses.json'), 'answers')).rejects.toThrow(/EISDIR/);
    expect(await readdir(folder)).toEqual(['responses.json']);
  });

  it('fails without creating anything when the folder is missing', async () => {
    await expect(writeFileAtomic(join(folder, 'missing', 'a.json'), '{}')).rejects.toThrow(/ENOENT/);
    expect(await readdir(folder)).toEqual([]);
  });

  it('never lets a reader see half a file, however often both run', async () => {
    const path = join(folder, 'state.bin');
    const size = 1 << 20;
    const version = (byte: number) => new Uint8Array(size).fill(byte);
    await writeFileAtomic(path, version(0));
    let writing = true;
    const writer = (async () => {
      for (let byte = 1; byte <= 20; byte++) await writeFileAtomic(path, version(byte));
      writing = false;
    })();
    const seen = new Set<string>();
    while (writing) {
      const bytes = await readFile(path);
      seen.add(bytes.length === size && bytes.every((b) => b === bytes[0]) ? 'whole' : 'torn');
    }
    await writer;
    expect(seen).toEqual(new Set(['whole']));
    expect((await readFile(path))[0]).toBe(20);
  });
});

describe('writeFileAtomicWith', () => {
  it('keeps the previous file in place until the new one is complete', async () => {
    const path = join(folder, 'tokens.bin');
    await writeFile(path, 'previous');
    const result = await writeFileAtomicWith(path, async (file) => {
      await file.write(new Uint8Array(4), 0, 4, 0); // a header, filled in at the end
      await file.write(new TextEncoder().encode('body'), 0, 4, 4);
      expect(await readFile(path, 'utf8')).toBe('previous');
      await file.write(new TextEncoder().encode('head'), 0, 4, 0);
      return 8;
    });
    expect(result).toBe(8);
    expect(await readFile(path, 'utf8')).toBe('headbody');
    expect(await readdir(folder)).toEqual(['tokens.bin']);
  });

  it('removes the temporary file and rethrows when the writer fails', async () => {
    const path = join(folder, 'tokens.bin');
    let temporary = '';
    await expect(
      writeFileAtomicWith(path, async (file) => {
        await file.write('half');
        temporary = (await readdir(folder))[0] ?? '';
        throw new Error('the input ended early');
      }),
    ).rejects.toThrow('the input ended early');
    expect(isTemporaryPath(temporary)).toBe(true);
    expect(temporary.startsWith('tokens.bin.tmp-')).toBe(true);
    expect(await readdir(folder)).toEqual([]);
  });
});

describe('temporary names', () => {
  it('sit beside the path, differ each time, and are recognized', () => {
    const path = join(folder, 'checkpoint.json');
    const [a, b] = [temporaryPath(path), temporaryPath(path)];
    expect(a).not.toBe(b);
    expect(a.startsWith(`${path}.tmp-${process.pid}-`)).toBe(true);
    expect([a, b].every(isTemporaryPath)).toBe(true);
    expect(['checkpoint.json', 'step-000120', 'notes.tmp', 'a.tmp-12-xyz'].some(isTemporaryPath)).toBe(false);
  });
});

describe('renameIntoPlace', () => {
  it('moves a finished folder into place', async () => {
    const target = join(folder, 'step-000002');
    const partial = temporaryPath(target);
    await mkdir(partial);
    await writeFile(join(partial, 'config.json'), '{}');
    await renameIntoPlace(partial, target);
    expect(await readdir(folder)).toEqual(['step-000002']);
    expect(await readFile(join(target, 'config.json'), 'utf8')).toBe('{}');
  });

  it('removes the temporary file or folder when the rename fails', async () => {
    const target = join(folder, 'step-000002');
    await mkdir(target);
    await writeFile(join(target, 'kept'), 'x');
    const partial = temporaryPath(target);
    await mkdir(partial);
    await writeFile(join(partial, 'config.json'), '{}');
    await expect(renameIntoPlace(partial, target)).rejects.toThrow(/ENOTEMPTY|EEXIST/);
    expect(await readdir(folder)).toEqual(['step-000002']);
    expect((await stat(join(target, 'kept'))).size).toBe(1);
  });
});
