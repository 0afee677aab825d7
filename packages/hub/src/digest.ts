/** The checksums the Hub announces: an LFS file's ETag is the SHA-256 of its bytes. */

/** An ETag header without the weak marker and quotes. */
export function normalizeEtag(value: string): string {
  return value.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

/** The SHA-256 (lowercase hex) an ETag stands for, when it is one; git's SHA-1 ids are not checked. */
export function sha256FromEtag(etag: string): string | undefined {
  return /^[0-9a-f]{64}$/i.test(etag) ? etag.toLowerCase() : undefined;
}

/** SHA-256 in lowercase hex with Web Crypto (browsers and Node alike). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}
