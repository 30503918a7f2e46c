import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { tuneHeapForServing } from '../../../src/core/heap-tuning.js';

/**
 * `switchyard serve` sets V8's old-generation growing factor (docs/benchmarks.md, seventh round):
 * 2 by default, another from SWITCHYARD_V8_HEAP_GROWING_PERCENT, V8's own with 0; a bad value is a
 * clear start-up error, not a silent default.
 */
test('the growing factor: 2 by default, the env value, or V8 own with 0', () => {
  assert.equal(tuneHeapForServing({}), 'V8 heap growing factor: 2');
  assert.equal(tuneHeapForServing({ SWITCHYARD_V8_HEAP_GROWING_PERCENT: '' }), 'V8 heap growing factor: 2');
  assert.equal(tuneHeapForServing({ SWITCHYARD_V8_HEAP_GROWING_PERCENT: '50' }), 'V8 heap growing factor: 1.5');
  assert.equal(tuneHeapForServing({ SWITCHYARD_V8_HEAP_GROWING_PERCENT: '0' }), "V8 heap growing factor: V8's own");
});

test('a value that is not an integer from 0 to 300 is refused with its name', () => {
  for (const bad of ['abc', '-1', '301', '1.5', '100%']) {
    assert.throws(
      () => tuneHeapForServing({ SWITCHYARD_V8_HEAP_GROWING_PERCENT: bad }),
      (e: Error) => e.message.includes('SWITCHYARD_V8_HEAP_GROWING_PERCENT') && e.message.includes(JSON.stringify(bad)),
    );
  }
});

test('switchyard serve stops with that message and exit code 1 before it listens', () => {
  const bin = join(import.meta.dirname, '..', '..', '..', 'bin', 'switchyard.mjs');
  const r = spawnSync(process.execPath, [bin, 'serve', '--port', '0', '--health-port', '0'], {
    env: { ...process.env, SWITCHYARD_V8_HEAP_GROWING_PERCENT: 'lots' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /SWITCHYARD_V8_HEAP_GROWING_PERCENT must be an integer from 0 to 300, got "lots"/);
});
