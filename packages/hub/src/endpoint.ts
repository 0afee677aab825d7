/** Where the Hub's files and API live, and the URLs of both. */

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

/** A file at a revision: the Hub answers with the file, or redirects large (LFS) files to its CDN. */
export function resolveUrl(endpoint: string, repo: string, revision: string, path: string): string {
  const file = path.split('/').map(encodeURIComponent).join('/');
  return `${trimEndpoint(endpoint)}/${repo}/resolve/${encodeURIComponent(revision)}/${file}`;
}

/** The model's description at a revision; with `blobs=true` each file's size and, for LFS files, SHA-256. */
export function revisionInfoUrl(endpoint: string, repo: string, revision: string): string {
  return `${trimEndpoint(endpoint)}/api/models/${repo}/revision/${encodeURIComponent(revision)}?blobs=true`;
}

export function trimEndpoint(endpoint: string): string {
  return endpoint.replace(/\/+$/, '');
}

/** The Authorization header for a token, if there is one. */
export function authorization(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}
