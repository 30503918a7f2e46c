import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import type { SinkCostResult } from '../../bench/sink-cost.js';

/**
 * `npm run bench:sink --quick`, for each ledger source: the sink-cost harness runs end to end,
 * switches the sink per slice, and everything the sink was handed reaches the discard ClickHouse
 * once: nothing lost, nothing doubled. The figures are only checked for being measured (finite,
 * positive), not for their size: that is the bench's job.
 */
function runQuick(source: 'spans' | 'rows'): { out: SinkCostResult; stderr: string } {
  const root = join(import.meta.dirname, '..', '..');
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'bench-sink.mjs'), '--quick', '--json', '--ledger-source', source], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return { out: JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as SinkCostResult, stderr: r.stderr };
}

function assertMeasured(out: SinkCostResult, phases: readonly string[]): void {
  assert.deepEqual(out.phases, phases);
  for (const phase of out.phases) {
    const cpu = out.cpuUsPerCall[phase];
    assert.equal(out.runs[phase]?.length, 2, phase);
    assert.ok(cpu !== undefined && Number.isFinite(cpu) && cpu > 0, `${phase}: ${cpu}`);
  }
}

test('bench:sink --quick --ledger-source rows measures all three phases and delivers every row it was handed', () => {
  const { out, stderr } = runQuick('rows');
  assertMeasured(out, ['off', 'ledger', 'full']);
  // Two spans per call in the full slices (and the warm-up); ledger-only slices add records only.
  assert.ok(out.sent.spans > 0 && out.sent.spans % 2 === 0, `spans sent: ${out.sent.spans}`);
  assert.ok(out.sent.records > out.sent.spans / 2, `records ${out.sent.records}, spans ${out.sent.spans}`);
  // One ai_calls_in_v2 row per record; each span either rides in its call's row (for the views) or is
  // an otel_traces row of its own, never both.
  assert.equal(out.received.rows.ai_calls_in_v2, out.sent.records);
  assert.equal((out.received.rows.otel_traces ?? 0) + out.received.carriedSpans, out.sent.spans);
  assert.ok(out.received.carriedSpans > 0, 'the views get the spans');
  assert.equal(out.received.rows.otlp_in, undefined, 'the row path sends no otlp_in documents');
  assert.match(stderr, /\[sink-cost\] ledger from rows: .*off\/ledger\/full/);
  assert.match(stderr, /\[sink-cost\] rotation 2\/2/);
});

test('bench:sink --quick --ledger-source spans measures the span ledger and delivers every call it was handed', () => {
  const { out, stderr } = runQuick('spans');
  assertMeasured(out, ['off', 'spans']);
  // The span ledger got each call's SERVER and CLIENT span in the spans slices (and the warm-up) only.
  assert.ok(out.sent.ledgerCalls > 0, 'calls reached the span ledger');
  assert.equal(out.sent.spans, 2 * out.sent.ledgerCalls);
  assert.equal(out.sent.records, out.sent.ledgerCalls, 'records and ledger calls come from the same slices');
  // Every call it got arrives once, as a SERVER span in an otlp_in document; none fell to the row path.
  assert.equal(out.received.rows.otlp_in, out.sent.ledgerCalls);
  assert.equal(out.received.rows.ai_calls_in_v2, undefined);
  assert.match(stderr, /\[sink-cost\] ledger from spans: .*off\/spans/);
  assert.match(stderr, /\[sink-cost\] rotation 2\/2/);
});
