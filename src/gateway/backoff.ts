import type { AbortSource } from './app-responder.js';
import type { RetryPolicy } from '../config/types.js';

/** Retry defaults, named once (config overrides per feature). */
export const RETRY_DEFAULTS = Object.freeze({
  maxAttempts: 2,
  initialBackoffMs: 100,
  maxBackoffMs: 2000,
  retryAfterCapMs: 10_000,
});

/**
 * Delay before try `nextTry` (2 = first retry): exponential with full jitter, capped; an upstream
 * Retry-After wins when present, capped at `retryAfterCapMs`.
 */
export function backoffDelayMs(policy: RetryPolicy, nextTry: number, retryAfterMs: number | undefined, random = Math.random): number {
  if (retryAfterMs !== undefined && retryAfterMs >= 0) return Math.min(retryAfterMs, policy.retryAfterCapMs);
  const exp = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.max(0, nextTry - 2));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** Sleep that an abort cancels (resolves false when aborted). */
export function sleep(ms: number, abort: AbortSource): Promise<boolean> {
  if (abort.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      off();
      resolve(true);
    }, ms);
    const off = abort.onAbort(() => {
      clearTimeout(t);
      resolve(false);
    });
  });
}
