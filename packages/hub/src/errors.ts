/**
 * Why a model could not be had, as a code a program can branch on and one line a person can act on.
 * - `invalid-id`: the text is not a model id.
 * - `not-found`: no such repository, revision or file.
 * - `unauthorized` / `forbidden`: a token is needed, or the one given has no access.
 * - `offline`: offline mode (or no network) and the files are not cached.
 * - `network`: the endpoint could not be reached, or a download was cut off (it resumes next time).
 * - `integrity`: the bytes received do not match the size or checksum the Hub announced.
 * - `http`: any other answer the client does not expect.
 * - `invalid-setting`: a setting (such as a timeout) that cannot be used.
 */
export type HubErrorCode =
  | 'invalid-id'
  | 'not-found'
  | 'unauthorized'
  | 'forbidden'
  | 'offline'
  | 'network'
  | 'integrity'
  | 'http'
  | 'invalid-setting';

export class HubError extends Error {
  override name = 'HubError';

  constructor(
    readonly code: HubErrorCode,
    message: string,
  ) {
    super(message);
  }
}
