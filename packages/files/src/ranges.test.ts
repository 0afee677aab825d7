import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic, writeFileAtomicPieces } from './atomic.js';
import { openFileRanges } from './ranges.js';
import { FileKindError } from './regular-file.js';

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'scratchgpt-ranges-'));
});
afterEach(() => rm(folder, { recursive: true, force: true }));

describe('openFileRanges', () => {
  it('reads any range of a regular file, its size taken when opened', async () => {
    const path = join(folder, 'model.safetensors');
    await writeFile(
      path,
      Uint8Array.from({ length: 100 }, (_, i) => i),
    );
    const file = await openFileRanges(path, { maxBytes: 100 });
    expect(file.byteLength).toBe(100);
    const into = new Uint8Array(5);
    await file.read(40, into);
    expect([...into]).toEqual([40, 41, 42, 43, 44]);
    await file.close();
  });

  it('refuses, unread, a file over the limit and anything but a regular file', async () => {
    const path = join(folder, 'big.safetensors');
    await writeFile(path, new Uint8Array(11));
    await expect(openFileRanges(path, { maxBytes: 10 })).rejects.toThrow(
      new FileKindError(
        `${path} is 11 bytes, more than the 10 such a file can take: it is damaged or not what its name says`,
      ),
    );
    const fifo = join(folder, 'fifo');
    execFileSync('mkfifo', [fifo]);
    await expect(openFileRanges(fifo)).rejects.toThrow(`${fifo} is not a regular file (a FIFO): give a file`);
  });

  it('fails, naming the file, when it shrinks after it was opened', async () => {
    const path = join(folder, 'model.safetensors');
    await writeFile(path, new Uint8Array(4096));
    const file = await openFileRanges(path);
    await truncate(path, 1000);
    await expect(file.read(512, new Uint8Array(1024))).rejects.toThrow(
      new FileKindError(
        `${path} ended at byte 1,000 but was 4,096 bytes when opened: it changed while it was read; read it again once nothing writes it`,
      ),
    );
    await file.close();
  });
});

describe('writeFileAtomicPieces', () => {
  it('writes the pieces one after another and returns the bytes written', async () => {
    const path = join(folder, 'model.safetensors');
    async function* pieces() {
      yield new TextEncoder().encode('head');
      yield new Uint8Array(0);
      yield new TextEncoder().encode('body');
    }
    expect(await writeFileAtomicPieces(path, pieces())).toBe(8);
    expect(await readFile(path, 'utf8')).toBe('headbody');
  });

  it('leaves the previous file and no temporary one when a piece fails', async () => {
    const path = join(folder, 'model.safetensors');
    await writeFileAtomic(path, 'kept');
    async function* failing() {
      yield new TextEncoder().encode('half');
      throw new Error('the device was lost');
    }
    await expect(writeFileAtomicPieces(path, failing())).rejects.toThrow('the device was lost');
    expect(await readFile(path, 'utf8')).toBe('kept');
    expect(await readdir(folder)).toEqual(['model.safetensors']);
  });
});
