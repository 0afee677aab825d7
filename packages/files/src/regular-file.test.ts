import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileKindError, openRegularFile, readRegularFile } from './regular-file.js';

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'scratchgpt-regular-'));
});
afterEach(() => rm(folder, { recursive: true, force: true }));

describe('readRegularFile', () => {
  it('reads a regular file up to its limit, and one exactly at it', async () => {
    const path = join(folder, 'config.json');
    await writeFile(path, '{"n_embd": 16}');
    expect(new TextDecoder().decode(await readRegularFile(path, 1024))).toBe('{"n_embd": 16}');
    expect((await readRegularFile(path, 14)).byteLength).toBe(14);
  });

  it('follows a link to a regular file', async () => {
    await writeFile(join(folder, 'blob'), 'weights');
    await symlink(join(folder, 'blob'), join(folder, 'model.safetensors'));
    expect((await readRegularFile(join(folder, 'model.safetensors'), 100)).byteLength).toBe(7);
  });

  it('refuses a file larger than the limit unread, naming both sizes', async () => {
    const path = join(folder, 'config.json');
    await writeFile(path, '{}');
    await truncate(path, 200_000_000); // sparse: no disk or memory taken
    const refusal = readRegularFile(path, 4 * 1024 * 1024);
    await expect(refusal).rejects.toThrow(FileKindError);
    await expect(refusal).rejects.toThrow(
      `${path} is 200,000,000 bytes, more than the 4,194,304 such a file can take: it is damaged or not what its name says`,
    );
    await expect(readRegularFile(path, 199_999_999)).rejects.toThrow(FileKindError);
  });

  it('refuses a FIFO at once instead of waiting for a writer', async () => {
    const path = join(folder, 'model.safetensors');
    execFileSync('mkfifo', [path]);
    await expect(readRegularFile(path, 1024)).rejects.toThrow(
      new FileKindError(`${path} is not a regular file (a FIFO): give a file`),
    );
  });

  it('refuses a link to a device such as /dev/zero instead of reading without end', async () => {
    const path = join(folder, 'config.json');
    await symlink('/dev/zero', path);
    await expect(readRegularFile(path, 1024)).rejects.toThrow(
      new FileKindError(`${path} is not a regular file (a device): give a file`),
    );
  });

  it('fails as open does for a missing file, and with EISDIR for a directory', async () => {
    await expect(readRegularFile(join(folder, 'missing.json'), 1024)).rejects.toMatchObject({
      code: 'ENOENT',
    });
    await mkdir(join(folder, 'config.json'));
    await expect(readRegularFile(join(folder, 'config.json'), 1024)).rejects.toMatchObject({
      code: 'EISDIR',
      message: `${join(folder, 'config.json')} is a directory`,
    });
  });
});

describe('openRegularFile', () => {
  it('hands back an open handle for a regular file', async () => {
    const path = join(folder, 'model.safetensors');
    await writeFile(path, new Uint8Array(10));
    const file = await openRegularFile(path);
    try {
      expect((await file.stat()).size).toBe(10);
    } finally {
      await file.close();
    }
  });
});
