import type { ErrorKind } from '../../core/errors.js';

/**
 * Upstream HTTP status → ErrorKind. The one place that decides it for OpenAI-compatible vendors.
 * - 401, 403: our provider key was refused → upstream_auth (a sidecar problem; fall back).
 * - 402 (DeepSeek "Insufficient Balance") is a billing stop like OpenAI's 429 insufficient_quota
 *   → upstream_rate_limited, so the route falls back to the next provider.
 * - 408 → upstream_timeout; 429 → upstream_rate_limited; 5xx → upstream_server_error.
 * - Other 4xx: the request itself was refused → upstream_client_error (keeps the status).
 * - Anything else (1xx/3xx) is not a response we understand → upstream_bad_response.
 */
export function mapUpstreamStatus(status: number): ErrorKind {
  if (status === 401 || status === 403) return 'upstream_auth';
  if (status === 402 || status === 429) return 'upstream_rate_limited';
  if (status === 408) return 'upstream_timeout';
  if (status >= 500 && status <= 599) return 'upstream_server_error';
  if (status >= 400 && status <= 499) return 'upstream_client_error';
  return 'upstream_bad_response';
}

/** Kind for an error that arrived INSIDE a 200 stream or body, from its type/code text. */
export function mapInBandErrorKind(info: { type?: string; code?: string }): ErrorKind {
  const text = `${info.type ?? ''} ${info.code ?? ''}`.toLowerCase();
  if (/rate_limit|too_many|insufficient_quota|429|throttl/.test(text)) return 'upstream_rate_limited';
  if (/auth|invalid_api_key|permission|401|403/.test(text)) return 'upstream_auth';
  if (/timeout|timed_out|408|504/.test(text)) return 'upstream_timeout';
  return 'upstream_server_error';
}
