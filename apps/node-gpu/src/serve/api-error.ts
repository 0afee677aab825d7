/**
 * A request the server refuses, with the HTTP status and the fields of OpenAI's error object
 * (`{error:{message,type,param,code}}`); the Ollama routes send the message alone (`{error}`).
 */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;
  /** Extra response headers (Retry-After, Allow). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    message: string,
    details: { type?: string; param?: string; code?: string; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = status;
    this.type = details.type ?? (status >= 500 ? 'server_error' : 'invalid_request_error');
    this.param = details.param ?? null;
    this.code = details.code ?? null;
    this.headers = details.headers ?? {};
  }
}

/** A field of the request body that is missing or of the wrong kind: 400 naming it. */
export function badField(param: string, problem: string): ApiError {
  return new ApiError(400, `'${param}' ${problem}`, { param, code: 'invalid_value' });
}

export function openAIErrorBody(error: ApiError): unknown {
  return { error: { message: error.message, type: error.type, param: error.param, code: error.code } };
}

export function ollamaErrorBody(error: ApiError): unknown {
  return { error: error.message };
}
