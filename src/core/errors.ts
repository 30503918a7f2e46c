/**
 * The closed set of failure kinds, and the one table that maps each kind to its HTTP status,
 * OpenAI error `type`, and whether the attempt loop may retry it (same target) or fall back
 * (next target). Only `src/server/render-error.ts` turns a GatewayError into a response body.
 */
export const ERROR_KINDS = {
  // Problems with the app's request: never retried, never a fallback.
  invalid_json: { status: 400, type: 'invalid_request_error', retry: false, fallback: false },
  invalid_request: { status: 400, type: 'invalid_request_error', retry: false, fallback: false },
  body_too_large: { status: 413, type: 'invalid_request_error', retry: false, fallback: false },
  unknown_feature: { status: 400, type: 'invalid_request_error', retry: false, fallback: false },
  unknown_model: { status: 404, type: 'invalid_request_error', retry: false, fallback: false },
  not_found: { status: 404, type: 'invalid_request_error', retry: false, fallback: false },
  method_not_allowed: { status: 405, type: 'invalid_request_error', retry: false, fallback: false },
  unsupported_field: { status: 400, type: 'invalid_request_error', retry: false, fallback: false },
  client_unauthorized: { status: 401, type: 'authentication_error', retry: false, fallback: false },
  // Upstream said the request is wrong (4xx): not retried; fallback only if the feature allows it.
  upstream_client_error: { status: 400, type: 'invalid_request_error', retry: false, fallback: false },
  // Upstream rejected our provider key: a sidecar config problem, so try the next provider.
  upstream_auth: { status: 401, type: 'authentication_error', retry: false, fallback: true },
  // Transient upstream trouble: retry the same target, then fall back.
  upstream_rate_limited: { status: 429, type: 'rate_limit_error', retry: true, fallback: true },
  upstream_server_error: { status: 502, type: 'api_error', retry: true, fallback: true },
  upstream_timeout: { status: 504, type: 'timeout_error', retry: true, fallback: true },
  upstream_connection: { status: 502, type: 'api_error', retry: true, fallback: true },
  upstream_bad_response: { status: 502, type: 'api_error', retry: true, fallback: true },
  upstream_truncated: { status: 502, type: 'api_error', retry: true, fallback: true },
  // The app went away, or we are shutting down.
  client_aborted: { status: 499, type: 'request_aborted', retry: false, fallback: false },
  shutting_down: { status: 503, type: 'api_error', retry: false, fallback: false },
  no_route: { status: 502, type: 'api_error', retry: false, fallback: false },
  internal: { status: 500, type: 'api_error', retry: false, fallback: false },
} as const satisfies Record<string, { status: number; type: string; retry: boolean; fallback: boolean }>;

export type ErrorKind = keyof typeof ERROR_KINDS;

export interface GatewayErrorInit {
  kind: ErrorKind;
  message: string;
  /** HTTP status to send; defaults to the table's status (an upstream 4xx keeps its own status). */
  status?: number;
  param?: string | null;
  code?: string | null;
  /** Upstream HTTP status, when the error came from an upstream response. */
  upstreamStatus?: number;
  /** Parsed Retry-After, in milliseconds, when the upstream sent one. */
  retryAfterMs?: number;
}

export class GatewayError extends Error {
  readonly kind: ErrorKind;
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;
  readonly upstreamStatus: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(init: GatewayErrorInit) {
    super(init.message);
    this.name = 'GatewayError';
    this.kind = init.kind;
    const row = ERROR_KINDS[init.kind];
    this.status = init.status ?? row.status;
    this.type = row.type;
    this.param = init.param ?? null;
    this.code = init.code ?? init.kind;
    this.upstreamStatus = init.upstreamStatus;
    this.retryAfterMs = init.retryAfterMs;
  }

  get retryable(): boolean {
    return ERROR_KINDS[this.kind].retry;
  }

  get fallbackable(): boolean {
    return ERROR_KINDS[this.kind].fallback;
  }
}

export function isGatewayError(e: unknown): e is GatewayError {
  return e instanceof GatewayError;
}

/** Wrap anything thrown into a GatewayError without leaking its message (it may hold secrets). */
export function toGatewayError(e: unknown): GatewayError {
  if (isGatewayError(e)) return e;
  return new GatewayError({ kind: 'internal', message: 'Internal gateway error.' });
}
