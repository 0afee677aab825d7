/**
 * SHA-256 fed chunk by chunk (FIPS 180-4). Web Crypto digests only a whole buffer; a download that goes
 * straight to Cache Storage is checked as it passes, so its bytes are never held together.
 */

/** The first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

/** The first 32 bits of the fractional parts of the square roots of the first 8 primes. */
const INITIAL = [
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

const BLOCK_BYTES = 64;

export class Sha256 {
  // Int32 arrays: their elements stay small integers to V8, where Uint32 values above 2^31 are doubles.
  readonly #state = new Int32Array(INITIAL);
  readonly #words = new Int32Array(64);
  /** A block's bytes not yet compressed. */
  readonly #pending = new Uint8Array(BLOCK_BYTES);
  #pendingBytes = 0;
  #totalBytes = 0;
  #finished = false;

  update(bytes: Uint8Array): this {
    if (this.#finished) throw new Error('Sha256: update after digest');
    this.#totalBytes += bytes.byteLength;
    let at = 0;
    if (this.#pendingBytes > 0) {
      const taken = Math.min(BLOCK_BYTES - this.#pendingBytes, bytes.byteLength);
      this.#pending.set(bytes.subarray(0, taken), this.#pendingBytes);
      this.#pendingBytes += taken;
      at = taken;
      if (this.#pendingBytes < BLOCK_BYTES) return this;
      this.#compress(this.#pending, 0);
      this.#pendingBytes = 0;
    }
    for (; at + BLOCK_BYTES <= bytes.byteLength; at += BLOCK_BYTES) this.#compress(bytes, at);
    this.#pending.set(bytes.subarray(at), 0);
    this.#pendingBytes = bytes.byteLength - at;
    return this;
  }

  /** The digest in lowercase hex; the hash takes no more bytes after it. */
  hex(): string {
    if (this.#finished) throw new Error('Sha256: digest taken twice');
    // Padding: a 1 bit, zeros, then the message length in bits as a 64-bit big-endian number.
    const bits = this.#totalBytes * 8;
    const tail = new Uint8Array(this.#pendingBytes < 56 ? BLOCK_BYTES : 2 * BLOCK_BYTES);
    tail.set(this.#pending.subarray(0, this.#pendingBytes));
    tail[this.#pendingBytes] = 0x80;
    const view = new DataView(tail.buffer);
    view.setUint32(tail.byteLength - 8, Math.floor(bits / 2 ** 32));
    view.setUint32(tail.byteLength - 4, bits >>> 0);
    for (let at = 0; at < tail.byteLength; at += BLOCK_BYTES) this.#compress(tail, at);
    this.#finished = true;
    return Array.from(this.#state, (word) => (word >>> 0).toString(16).padStart(8, '0')).join('');
  }

  #compress(bytes: Uint8Array, at: number): void {
    const w = this.#words;
    for (let i = 0; i < 16; i++) {
      const j = at + 4 * i;
      w[i] =
        ((bytes[j] as number) << 24) |
        ((bytes[j + 1] as number) << 16) |
        ((bytes[j + 2] as number) << 8) |
        (bytes[j + 3] as number);
    }
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15] as number;
      const b = w[i - 2] as number;
      const s0 = rotr(a, 7) ^ rotr(a, 18) ^ (a >>> 3);
      const s1 = rotr(b, 17) ^ rotr(b, 19) ^ (b >>> 10);
      w[i] = ((w[i - 16] as number) + s0 + (w[i - 7] as number) + s1) | 0;
    }
    const s = this.#state;
    let a = s[0] as number;
    let b = s[1] as number;
    let c = s[2] as number;
    let d = s[3] as number;
    let e = s[4] as number;
    let f = s[5] as number;
    let g = s[6] as number;
    let h = s[7] as number;
    for (let i = 0; i < 64; i++) {
      const t1 =
        (h +
          (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) +
          ((e & f) ^ (~e & g)) +
          (K[i] as number) +
          (w[i] as number)) |
        0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    s[0] = (s[0] as number) + a;
    s[1] = (s[1] as number) + b;
    s[2] = (s[2] as number) + c;
    s[3] = (s[3] as number) + d;
    s[4] = (s[4] as number) + e;
    s[5] = (s[5] as number) + f;
    s[6] = (s[6] as number) + g;
    s[7] = (s[7] as number) + h;
  }
}

function rotr(x: number, n: number): number {
  return (x >>> n) | (x << (32 - n));
}
