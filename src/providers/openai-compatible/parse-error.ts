import { GatewayError } from '../../core/errors.js';
import { parseRetryAfterMs } from '../shared/parse-retry-after.js';
import type { UpstreamResponseInput } from '../types.js';
import { extractUpstreamError } from './extract-upstream-error.js';
import { mapUpstreamStatus } from './map-upstream-status.js';

/**
 * A non-2xx upstream response → GatewayError. The upstream's message, param and code are kept
 * (sanitised: no keys, bounded length); a body we cannot read still gets the right kind with a
 * generic message. An upstream 4xx keeps its own status for the app; other kinds use the table.
 */
export function parseOpenAiError(input: UpstreamResponseInput): GatewayError {
  const kind = mapUpstreamStatus(input.status);
  const info = extractUpstreamError(input.body);
  const retryAfterMs = parseRetryAfterMs({ headers: input.headers, nowMs: input.nowMs ?? Date.now() });
  return new GatewayError({
    kind,
    message: info?.message ?? `Upstream returned HTTP ${input.status}.`,
    ...(kind === 'upstream_client_error' ? { status: input.status } : {}),
    param: info?.param ?? null,
    code: info?.code ?? info?.type ?? kind,
    upstreamStatus: input.status,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

/** True when `status` is a 2xx success. */
export function isSuccessStatus(status: number): boolean {
  return status >= 200 && status <= 299;
}
