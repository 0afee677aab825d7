/** Why the judge could not answer, in one line that says what to do about it. */
export type JudgeFailure =
  /** The server has no such model (Ollama: not pulled). */
  | 'model-missing'
  /** A server answers, but not with the chosen protocol's chat API there (HTTP 404). */
  | 'no-endpoint'
  /** The server refused the request (HTTP 401, 403): the API key. */
  | 'refused'
  /** Nothing listens there, or the name does not resolve. */
  | 'unreachable'
  | 'timeout'
  /** The server answered with an error status, or with something that is not its protocol. */
  | 'server'
  /** The caller's signal stopped it. */
  | 'aborted';

export class JudgeError extends Error {
  override name = 'JudgeError';

  constructor(
    readonly failure: JudgeFailure,
    message: string,
    /** Requests made, retries included. */
    readonly attempts = 1,
  ) {
    super(message);
  }
}

/** The reply ended or broke its protocol before the answer was complete: worth another try. */
export class IncompleteReplyError extends Error {
  override name = 'IncompleteReplyError';
}

/** A server's text inside a message: whitespace runs as one space, at most `max` characters. */
export function oneLine(text: string, max = 120): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, max);
}
