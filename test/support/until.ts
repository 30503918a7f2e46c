import assert from 'node:assert/strict';

/** Polls `check` every `everyMs` until it holds; fails the test, naming `what`, after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 5000, everyMs = 25): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  assert.fail(`timed out waiting for ${what}`);
}
