/** Why the judge could not answer, in one line that says what to do about it. */
export type JudgeFailure =
  /** The server has no such model (Ollama: not pulled). */
  | 'model-missing'
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
