/**
 * Names that come from the Hub, a ref file or the user and become paths in the cache: each is checked
 * for what it must be before it is joined to a folder, so none can climb out of the cache.
 */

const COMMIT_ID = /^[0-9a-f]{40}$/;
const BLOB_NAME = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;
// Git's rules for ref names that matter for paths: no whitespace or control characters, no '\', ':',
// '?', '*', '[', '~', '^', no '..' anywhere, no empty or '.'-led segment (so no absolute path), no
// '.lock' ending.
const REF_FORBIDDEN = /[\s\\:?*[~^]|\.\.|@\{/;

/** A commit id as the Hub and git write it: 40 lowercase hex digits. */
export function isCommitId(text: string): boolean {
  return COMMIT_ID.test(text);
}

/** A blob's name in the cache: an LFS file's SHA-256 (64 hex) or a small file's git object id (40 hex). */
export function isBlobName(text: string): boolean {
  return BLOB_NAME.test(text);
}

/** Why a revision (branch, tag, `refs/pr/1`, commit) cannot name a ref file, or undefined if it can. */
export function revisionProblem(revision: string): string | undefined {
  if (revision === '') return 'an empty revision after @';
  const badSegment = revision
    .split('/')
    .some((segment) => segment === '' || segment.startsWith('.') || segment.endsWith('.lock'));
  if (REF_FORBIDDEN.test(revision) || [...revision].some(isControl) || badSegment) {
    return `the revision '${shown(revision)}' is not a branch, tag or commit`;
  }
  return undefined;
}

/** A name from outside, short and on one line, for a message. */
export function shown(text: string): string {
  const line = [...text]
    .map((char) => (isControl(char) ? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}` : char))
    .join('');
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}

function isControl(char: string): boolean {
  const code = char.charCodeAt(0);
  return code < 0x20 || code === 0x7f;
}
