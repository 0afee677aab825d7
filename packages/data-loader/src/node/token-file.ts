import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { TokenSource } from '../gpt-dataset.js';
import {
  assertLittleEndian,
  bytesPerToken,
  HEADER_BYTES,
  readHeader,
  type TokenDtype,
} from './token-file-format.js';

export interface TokenFileOptions {
  /** Ids per page read from disk. Default 65,536. */
  pageTokens?: number;
  /** Pages kept in memory, least recently used dropped first. Default 16. */
  maxPages?: number;
}

/**
 * Random access to a token file written by `tokenizeFileToTokenFile`, without loading it: `slice`
 * reads the pages it needs at their offsets and keeps a few recent ones. It is a `TokenSource`, so a
 * `GPTDataset` windows it exactly as it would the same ids in memory.
 */
export class TokenFile implements TokenSource {
  readonly path: string;
  readonly dtype: TokenDtype;
  /** The number of ids. */
  readonly length: number;
  readonly #fd: number;
  readonly #pageTokens: number;
  readonly #maxPages: number;
  readonly #pages = new Map<number, Uint16Array | Uint32Array>();
  #closed = false;

  private constructor(
    path: string,
    fd: number,
    dtype: TokenDtype,
    length: number,
    options: TokenFileOptions,
  ) {
    this.path = path;
    this.#fd = fd;
    this.dtype = dtype;
    this.length = length;
    this.#pageTokens = options.pageTokens ?? 65_536;
    this.#maxPages = options.maxPages ?? 16;
  }

  static open(path: string, options: TokenFileOptions = {}): TokenFile {
    assertLittleEndian();
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new Error(`TokenFile.open: ${path} does not exist; write one with tokenizeFileToTokenFile`);
      }
      throw error;
    }
    try {
      const head = new Uint8Array(HEADER_BYTES);
      const got = readSync(fd, head, 0, HEADER_BYTES, 0);
      const { dtype, count } = readHeader(head.subarray(0, got), path);
      const expected = HEADER_BYTES + count * bytesPerToken(dtype);
      const size = fstatSync(fd).size;
      if (size !== expected) {
        throw new Error(
          `${path} holds ${size} bytes but its header promises ${count} ids (${expected} bytes); ` +
            'it is truncated or still being written: tokenize the text again',
        );
      }
      return new TokenFile(path, fd, dtype, count, options);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** Ids `[start, end)` as a new Int32Array. */
  slice(start: number, end: number): Int32Array {
    if (this.#closed) throw new Error(`TokenFile: ${this.path} is closed`);
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > this.length || start > end) {
      throw new RangeError(`TokenFile: slice(${start}, ${end}) is outside the file's ${this.length} ids`);
    }
    const out = new Int32Array(end - start);
    let at = start;
    while (at < end) {
      const pageIndex = Math.floor(at / this.#pageTokens);
      const page = this.#page(pageIndex);
      const offset = at - pageIndex * this.#pageTokens;
      const take = Math.min(end - at, page.length - offset);
      out.set(page.subarray(offset, offset + take), at - start);
      at += take;
    }
    return out;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pages.clear();
    closeSync(this.#fd);
  }

  #page(index: number): Uint16Array | Uint32Array {
    const cached = this.#pages.get(index);
    if (cached !== undefined) {
      // Most recently used goes last.
      this.#pages.delete(index);
      this.#pages.set(index, cached);
      return cached;
    }
    const first = index * this.#pageTokens;
    const count = Math.min(this.#pageTokens, this.length - first);
    const width = bytesPerToken(this.dtype);
    const bytes = new Uint8Array(count * width);
    let read = 0;
    while (read < bytes.length) {
      const got = readSync(this.#fd, bytes, read, bytes.length - read, HEADER_BYTES + first * width + read);
      if (got === 0) throw new Error(`TokenFile: ${this.path} ended early while reading page ${index}`);
      read += got;
    }
    const page = this.dtype === 'uint16' ? new Uint16Array(bytes.buffer) : new Uint32Array(bytes.buffer);
    this.#pages.set(index, page);
    if (this.#pages.size > this.#maxPages) this.#pages.delete(this.#pages.keys().next().value as number);
    return page;
  }
}
