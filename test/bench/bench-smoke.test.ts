import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { BenchResults } from '../../bench/results.js';
import { runBenchScript } from '../support/bench-script.js';

/**
 * `npm run bench -- --quick` end to end: every process starts, every cell is measured and the
 * report is written. It checks the harness, not the speed: speed is measured by the bench itself.
 */
const out = mkdtempSync(join(tmpdir(), 'switchyard-bench-smoke-'));
after(() => rmSync(out, { recursive: true, force: true }));

test('bench --quick measures every cell and writes the report', { timeout: 240_000 }, async () => {
  const run = await runBenchScript(['--quick', '--reps', '2', '--fresh-processes', '--out', out]);
  assert.equal(run.code, 0, `bench exited ${run.code}:\n${run.stderr}`);
  const r = JSON.parse(readFileSync(join(out, 'quick.json'), 'utf8')) as BenchResults;
  const md = readFileSync(join(out, 'quick.md'), 'utf8');
  assert.ok(md.includes('| mode | conc | target | req/s |'));
  assert.ok(md.includes('## The load core with ClickHouse on'));
  // The report points at the multi-process measure for the sink target.
  assert.ok(md.includes('`npm run bench:sink-procs` compares five sink-off and five sink-on sidecars'));

  assert.deepEqual(r.targets, ['direct', 'bare', 'sidecar', 'sidecar-ch', 'sidecar-chd']);
  assert.deepEqual(r.options.concurrency, [1, 16, 64]);
  assert.equal(r.cells.length, r.targets.length * 2 * 3);
  // Each repetition measured fresh proxy processes (the sidecars were stopped with SIGTERM between them).
  assert.equal(r.options.reps, 2);
  for (const cell of r.cells.filter((c) => c.target !== 'direct')) {
    const [a, b] = cell.runs.map((x) => x.proxyPid);
    assert.ok(a && b && a !== b, `${cell.target} ${cell.mode} c=${cell.concurrency}: PIDs ${a}, ${b}`);
  }
  for (const target of r.targets) {
    for (const mode of ['non-stream', 'stream'] as const) {
      for (const concurrency of r.options.concurrency) {
        const cell = r.cells.find((c) => c.target === target && c.mode === mode && c.concurrency === concurrency);
        const name = `${target} ${mode} c=${concurrency}`;
        assert.ok(cell, `missing cell ${name}`);
        const m = cell.median;
        assert.equal(m.errors, 0, `${name}: errors`);
        for (const [k, v] of Object.entries({ rps: m.rps, p50Ms: m.p50Ms, p99Ms: m.p99Ms, ttfbP50Ms: m.ttfbP50Ms })) {
          assert.ok(Number.isFinite(v) && v > 0, `${name}: ${k} = ${v}`);
        }
        if (target !== 'direct') assert.ok(m.proxyCpuUsPerReq > 0, `${name}: proxy CPU per request = ${m.proxyCpuUsPerReq}`);
        assert.ok(m.loadCpuUsPerReq > 0, `${name}: load-core CPU per request = ${m.loadCpuUsPerReq}`);
        // A quick cell can end before its first insert (batches go out after max_delay_ms): measured, maybe 0.
        if (target === 'sidecar-ch')
          assert.ok(m.clickhouseCpuUsPerReq >= 0, `${name}: ClickHouse CPU per request = ${m.clickhouseCpuUsPerReq}`);
      }
    }
  }

  const chCells = r.cells.filter((c) => c.target === 'sidecar-ch');
  assert.ok(
    chCells.reduce((a, c) => a + c.median.clickhouseCpuUsPerReq, 0) > 0,
    'the ClickHouse server did some work for the sidecar-ch cells',
  );
  // The server runs only for its own sidecar's cells (bench/clickhouse-gate.ts): stopped in every
  // other cell's window, it used no CPU there, and every call still reached the ledger.
  for (const cell of r.cells.filter((c) => c.target !== 'sidecar-ch')) {
    for (const run of cell.runs) assert.equal(run.clickhouseCpuUsPerReq, 0, `${cell.target} ${cell.mode} c=${cell.concurrency}`);
  }
  assert.ok(
    r.notes.some(
      (n) =>
        n.startsWith('The ClickHouse server ran only for the sidecar-ch cells') &&
        n.endsWith('each time with the sidecar-ch sink drained.'),
    ),
    r.notes.join('\n'),
  );

  for (const s of r.summary.ratios)
    assert.ok(s.sidecarVsBare > 0 && s.sidecarChVsBare > 0 && s.chOnVsOff > 0 && s.chdOnVsOff > 0, `ratios ${JSON.stringify(s)}`);
  assert.equal(r.summary.addedP50Ms.length, 8);
  assert.equal(r.summary.checks.length, 5);

  assert.deepEqual(
    r.incremental.map((i) => i.target),
    r.targets,
  );
  for (const i of r.incremental) assert.ok(i.ttfcMsMedian > 0 && i.totalMsMedian > 0, `incremental ${i.target}`);

  assert.equal(r.fidelity.length, r.targets.length * 2);
  for (const f of r.fidelity) assert.ok(f.status === 200 && f.bytes > 0, `fidelity ${f.target} ${f.mode}: ${f.status}, ${f.bytes} bytes`);

  // The sink off and on at one offered rate per mode, below what the ClickHouse-on sidecar reached.
  assert.ok(md.includes('## The ClickHouse sink at equal load'));
  assert.deepEqual(
    r.equalLoad?.map((x) => x.mode),
    ['non-stream', 'stream'],
  );
  for (const x of r.equalLoad ?? []) {
    const closedLoop = Math.min(
      ...[16, 64].map((c) => r.cells.find((k) => k.target === 'sidecar-ch' && k.mode === x.mode && k.concurrency === c)?.median.rps ?? 0),
    );
    assert.ok(x.ratePerSec > 0 && x.ratePerSec <= closedLoop, `${x.mode}: rate ${x.ratePerSec} vs closed loop ${closedLoop}`);
    assert.ok(x.offCpuUsPerReq > 0 && x.onCpuUsPerReq > 0 && x.cpuRatio > 0, `${x.mode}: ${JSON.stringify(x)}`);
    assert.equal(x.runs.off.length, r.options.reps);
  }

  assert.ok(r.ledger && r.ledger.rows > 0 && r.ledger.callsSent > 0, `ledger ${JSON.stringify(r.ledger)}`);
  assert.equal(r.ledger.rows, r.ledger.callsSent, 'one ledger row per call the ClickHouse-on sidecar served');
  // The discarding endpoint got one ai_calls_in_v2 row per call the sink-on sidecar served.
  assert.ok(r.discardLedger && r.discardLedger.callsSent > 0, `discard ledger ${JSON.stringify(r.discardLedger)}`);
  assert.equal(r.discardLedger.rows, r.discardLedger.callsSent);
});
