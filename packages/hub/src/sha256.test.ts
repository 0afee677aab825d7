import { describe, expect, it } from 'vitest';
import { Sha256 } from './sha256.js';

const text = (value: string) => new TextEncoder().encode(value);

/** The reference: Web Crypto's SHA-256 in lowercase hex. */
async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Bytes that are not a repeating pattern, so a misplaced block shows. */
function bytesOf(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('Sha256', () => {
  it('gives the FIPS 180-4 example digests', () => {
    expect(new Sha256().update(text('abc')).hex()).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(new Sha256().hex()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(new Sha256().update(text('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).hex()).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it("matches Web Crypto's digest however the bytes are cut into chunks", async () => {
    // Lengths around the padding's edges (55, 56, 64 bytes) and several blocks.
    for (const length of [1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 70_001]) {
      const bytes = bytesOf(length, length);
      const expected = await sha256Hex(bytes);
      for (const chunk of [1, 3, 64, 100, length]) {
        const hash = new Sha256();
        for (let at = 0; at < length; at += chunk) hash.update(bytes.subarray(at, at + chunk));
        expect(hash.hex(), `${length} bytes in chunks of ${chunk}`).toBe(expected);
      }
    }
  });

  it('refuses bytes after the digest, and a second digest', () => {
    const hash = new Sha256().update(text('abc'));
    hash.hex();
    expect(() => hash.update(text('d'))).toThrow(/update after digest/);
    expect(() => hash.hex()).toThrow(/digest taken twice/);
  });
});
