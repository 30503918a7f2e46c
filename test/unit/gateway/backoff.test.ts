import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RetryPolicy } from '../../../src/config/types.js';
import { AbortListeners } from '../../../src/server/abort-listeners.js';
import { backoffDelayMs, sleep } from '../../../src/gateway/backoff.js';

const policy: RetryPolicy = { maxAttempts: 4, initialBackoffMs: 100, maxBackoffMs: 300, retryAfterCapMs: 1500 };

test('exponential backoff with jitter stays within [exp/2, exp] and is capped', () => {
  assert.equal(
    backoffDelayMs(policy, 2, undefined, () => 0),
    50,
  );
  assert.equal(
    backoffDelayMs(policy, 2, undefined, () => 1),
    100,
  );
  assert.equal(
    backoffDelayMs(policy, 3, undefined, () => 1),
    200,
  );
  assert.equal(
    backoffDelayMs(policy, 4, undefined, () => 1),
    300,
    'capped at max_backoff_ms',
  );
  assert.equal(
    backoffDelayMs(policy, 9, undefined, () => 0),
    150,
  );
});

test('Retry-After wins over backoff and is capped', () => {
  assert.equal(
    backoffDelayMs(policy, 2, 700, () => 1),
    700,
  );
  assert.equal(
    backoffDelayMs(policy, 2, 60_000, () => 1),
    1500,
  );
  assert.equal(
    backoffDelayMs(policy, 2, 0, () => 1),
    0,
  );
});

test('an abort cancels the backoff sleep; a finished sleep leaves no listener behind', async () => {
  const c = new AbortListeners();
  const t0 = Date.now();
  const slept = sleep(10_000, c);
  c.abort();
  assert.equal(await slept, false);
  assert.ok(Date.now() - t0 < 1000);
  assert.equal(await sleep(0, c), false, 'already aborted: no sleep at all');
  // A source that counts its live listeners: a completed sleep must have removed its own.
  const inner = new AbortListeners();
  let live = 0;
  const counting = {
    get aborted() {
      return inner.aborted;
    },
    onAbort(listener: () => void) {
      live++;
      const off = inner.onAbort(listener);
      return () => {
        live--;
        off();
      };
    },
  };
  assert.equal(await sleep(1, counting), true);
  assert.equal(live, 0);
});
