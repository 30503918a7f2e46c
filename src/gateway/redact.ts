import { GatewayError } from '../core/errors.js';

/** Replace exact secret values in an error's message (defence in depth; adapters redact patterns). */
export function redactSecrets(error: GatewayError, secrets: readonly string[]): GatewayError {
  let message = error.message;
  for (const s of secrets) if (s.length >= 4) message = message.split(s).join('[REDACTED]');
  return new GatewayError({
    kind: error.kind,
    message,
    status: error.status,
    param: error.param,
    code: error.code,
    ...(error.upstreamStatus !== undefined ? { upstreamStatus: error.upstreamStatus } : {}),
    ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
  });
}
