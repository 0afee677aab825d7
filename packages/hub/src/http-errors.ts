/**
 * The Hub's refusals and the network's failures as one line each that says what to do. The Hub names
 * its reason in `X-Error-Code` (RepositoryNotFound, RevisionNotFound, EntryNotFound, GatedRepo); it
 * answers 401 rather than 404 to anonymous requests for repositories it does not show, so a 401
 * without a token may also mean a mistyped id.
 */
import { HubError } from './errors.js';

export interface RequestSubject {
  /** The model id as the user wrote it. */
  id: string;
  repo: string;
  revision: string;
  path: string;
  endpoint: string;
  hasToken: boolean;
  /** What sets the endpoint where this runs (default HF_ENDPOINT), for the advice in messages. */
  endpointSetting?: string;
  /** What sets the timeout where this runs (default HF_HUB_DOWNLOAD_TIMEOUT), for the same. */
  timeoutSetting?: string;
}

export function refusal(response: Response, subject: RequestSubject): HubError {
  const code = response.headers.get('x-error-code');
  const { id, repo, revision, path, endpoint } = subject;
  const page = `${endpoint}/${repo}`;
  if (code === 'GatedRepo') {
    return new HubError(
      subject.hasToken ? 'forbidden' : 'unauthorized',
      `${id} is gated: accept its conditions on ${page}, then set HF_TOKEN to a token of that account`,
    );
  }
  switch (response.status) {
    case 401:
      return subject.hasToken
        ? new HubError('unauthorized', `the Hub did not accept HF_TOKEN for ${id} (401): check the token`)
        : new HubError(
            'unauthorized',
            `${id} was not found or is private (401): check the id, or set HF_TOKEN to a token that can read it`,
          );
    case 403:
      return new HubError('forbidden', `HF_TOKEN has no access to ${id} (403): request access on ${page}`);
    case 404:
      if (code === 'EntryNotFound') {
        return new HubError(
          'not-found',
          `${id} has no ${path} at revision ${revision}: it is not a checkpoint scratchgpt can load`,
        );
      }
      if (code === 'RevisionNotFound')
        return new HubError('not-found', `${repo} has no revision '${revision}'`);
      return new HubError('not-found', `the Hub at ${endpoint} has no model ${repo}: check the id`);
    default:
      return new HubError(
        'http',
        `the Hub answered ${response.status} ${response.statusText} for ${path} of ${id}: try again later`,
      );
  }
}

/** A request that never got an answer: no network, a wrong endpoint, a refused connection. */
export function unreachable(error: unknown, subject: RequestSubject): HubError {
  const setting = subject.endpointSetting ?? 'HF_ENDPOINT';
  return new HubError(
    'network',
    `could not reach ${subject.endpoint} (${describeCause(error)}): check the network connection or ${setting}`,
  );
}

/** The innermost reason of a failed fetch: undici wraps the socket's error in a `TypeError: fetch failed`. */
export function describeCause(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  if (current instanceof Error) {
    const code = (current as { code?: unknown }).code;
    return typeof code === 'string' && !current.message.includes(code)
      ? `${code}: ${current.message}`
      : current.message;
  }
  return String(current);
}

/** Whether a failure is the network's (worth falling back to a cached copy), not the Hub's refusal. */
export function isNetworkFailure(error: unknown): boolean {
  return error instanceof HubError ? error.code === 'network' : error instanceof TypeError;
}
