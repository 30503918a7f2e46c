import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import type { SinkCostResult } from '../../bench/sink-cost.js';

/**
 * `npm run bench:sink --quick`: the sink-cost harness runs end to end, switches the sink per slice
 * (ledger-only slices send records and no spans, full slices both), and every record and span the
 * sink was handed reaches the discard ClickHouse once: nothing lost, nothing doubled. The figures are only
 * checked for being measured (finite, positive), not for their size: that is the bench's job.
 */
test('bench:sink --quick measures all three phases and delivers every row it was handed', () => {
  const root = join(import.meta.dirname, '..', '..');
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'bench-sink.mjs'), '--quick', '--json'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as SinkCostResult;
  for (const phase of ['off', 'ledger', 'full'] as const) {
    assert.equal(out.runs[phase].length, 2, phase);
    assert.ok(Number.isFinite(out.cpuUsPerCall[phase]) && out.cpuUsPerCall[phase] > 0, `${phase}: ${out.cpuUsPerCall[phase]}`);
  }
  // Two spans per call in the full slices (and the warm-up); ledger-only slices add records only.
  assert.ok(out.sent.spans > 0 && out.sent.spans % 2 === 0, `spans sent: ${out.sent.spans}`);
  assert.ok(out.sent.records > out.sent.spans / 2, `records ${out.sent.records}, spans ${out.sent.spans}`);
  // One ai_calls_in_v2 row per record; each span either rides in its call's row (for the views) or is
  // an otel_traces row of its own, never both.
  assert.equal(out.received.rows.ai_calls_in_v2, out.sent.records);
  assert.equal((out.received.rows.otel_traces ?? 0) + out.received.carriedSpans, out.sent.spans);
  assert.ok(out.received.carriedSpans > 0, 'the views get the spans');
  assert.match(r.stderr, /\[sink-cost\] rotation 2\/2/);
});
