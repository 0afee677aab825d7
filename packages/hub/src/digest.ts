/** The checksums the Hub announces: an LFS file's ETag is the SHA-256 of its bytes. */

/** An ETag header without the weak marker and quotes. */
export function normalizeEtag(value: string): string {
  return value.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

/** The SHA-256 (lowercase hex) an ETag stands for, when it is one; git's SHA-1 ids are not checked. */
export function sha256FromEtag(etag: string): string | undefined {
  return /^[0-9a-f]{64}$/i.test(etag) ? etag.toLowerCase() : undefined;
}
