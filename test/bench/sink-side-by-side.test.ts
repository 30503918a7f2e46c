import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { hasTaskset, machineCores } from '../../bench/procs.js';
import { type SideBySideResult, parseSideBySideArgs } from '../../bench/sink-side-by-side.js';
import { runBenchScript } from '../support/bench-script.js';

/**
 * `npm run bench:sink-procs -- --quick` end to end: two sink-off and two sink-on sidecars side by
 * side, every process measured in every cell, and every call a sink-on sidecar answered reaches the
 * discarding ClickHouse endpoint once. It checks the harness, not the speed.
 */
const ROOT = join(import.meta.dirname, '..', '..');

test('bench:sink-procs --quick measures every process in every cell and loses no ledger row', { timeout: 180_000 }, async () => {
  // The first argument picks the side-by-side harness (scripts/bench.mjs).
  // A harmless V8 flag, to check that --node-flags reaches every sidecar's node.
  // --endpoint-nice: the discarding endpoint is reniced (the harness fails if renice does).
  const run = await runBenchScript(['side-by-side', '--quick', '--json', '--node-flags', '--stack-trace-limit=50', '--endpoint-nice', '5']);
  assert.equal(run.code, 0, `exited ${run.code}:\n${run.stderr}`);
  assert.match(run.stderr, /\[side-by-side\] discard-clickhouse: niceness 5\n/);
  const r = JSON.parse(run.stdout.trim().split('\n').at(-1) as string) as SideBySideResult;
  assert.match(run.stdout, /\| cell \| off req\/s \| on req\/s \| on ÷ off \|/);
  assert.match(run.stdout, /- non-stream@16: main user [\d.]+ → [\d.]+, main system [\d.]+ → [\d.]+, other threads [\d.]+ → [\d.]+\n/);
  // --node-flags: in the options, in the report, and on every sidecar's real command line.
  assert.deepEqual(r.options.nodeFlags, ['--stack-trace-limit=50']);
  assert.match(run.stdout, /; node flags: --stack-trace-limit=50\n/);
  assert.match(run.stdout, /- non-stream@16: proxy core (\d|n\/a).* load core /);
  assert.deepEqual(r.sidecarNodeFlags, {
    'sink-off-1': ['--stack-trace-limit=50'],
    'sink-on-1': ['--stack-trace-limit=50'],
    'sink-off-2': ['--stack-trace-limit=50'],
    'sink-on-2': ['--stack-trace-limit=50'],
  });
  // Each sidecar's peak resident memory, read from /proc before it stops (a node process holds tens of MiB).
  assert.deepEqual(Object.keys(r.peakRssMiB).sort(), ['sink-off-1', 'sink-off-2', 'sink-on-1', 'sink-on-2']);
  for (const [name, mib] of Object.entries(r.peakRssMiB)) assert.ok(mib > 20 && mib < 4096, `${name}: ${mib} MiB`);
  assert.match(run.stdout, /Peak resident memory \(VmHWM\) per sidecar: sink-off-1 \d+ MiB, /);
  // scripts/bench.mjs runs the harness pinned to the load core; it must still pin the sidecars when
  // the machine has the cores (it once counted only its own core, and ran everything unpinned).
  assert.equal(r.pinned, hasTaskset() && machineCores() >= 2);
  assert.deepEqual(
    r.cells.map((c) => c.cell),
    ['non-stream@16', 'stream@16'],
  );
  for (const c of r.cells) {
    assert.deepEqual(c.slices.off.map((s) => s.process).sort(), ['sink-off-1', 'sink-off-2'], c.cell);
    assert.deepEqual(c.slices.on.map((s) => s.process).sort(), ['sink-on-1', 'sink-on-2'], c.cell);
    for (const s of [...c.slices.off, ...c.slices.on]) {
      assert.ok(s.rps > 0 && Number.isFinite(s.cpuUsPerCall) && s.cpuUsPerCall > 0, `${c.cell} ${s.process}: ${JSON.stringify(s)}`);
      assert.ok(Number.isFinite(s.faultsPerCall) && s.faultsPerCall >= 0, `${c.cell} ${s.process}: ${JSON.stringify(s)}`);
      const t = s.threadsUsPerCall;
      assert.ok(t.mainUser > 0 && t.mainSystem >= 0 && t.others >= 0, `${c.cell} ${s.process}: ${JSON.stringify(t)}`);
      // Pinned, the cores' busy fractions are read from /proc/stat; both cores did work in the window
      // (10 ms clock ticks over a short slice: loose bounds). Unpinned, there are none.
      const k = s.cores;
      if (r.pinned) {
        assert.ok(k.proxyBusy > 0.2 && k.proxyBusy < 1.2, `${c.cell} ${s.process}: ${JSON.stringify(k)}`);
        assert.ok(k.loadBusy > 0.05 && k.loadBusy < 1.2, `${c.cell} ${s.process}: ${JSON.stringify(k)}`);
        assert.ok(Math.abs(k.proxyNotSidecar) < 0.5, `${c.cell} ${s.process}: ${JSON.stringify(k)}`);
      } else assert.ok(Number.isNaN(k.proxyBusy) && Number.isNaN(k.loadBusy), JSON.stringify(k));
    }
    // By thread, the group's CPU adds up to about the process's (10 ms clock ticks, short slices).
    for (const g of ['off', 'on'] as const) {
      const t = c.threadsUsPerCall[g];
      const sum = t.mainUser + t.mainSystem + t.others;
      const total = c.cpuUsPerCall[g];
      assert.ok(sum > 0.5 * total && sum < 1.5 * total, `${c.cell} ${g}: threads ${JSON.stringify(t)}, process ${total}`);
    }
    assert.equal(c.ratioRps, c.rps.on / c.rps.off);
  }
  assert.equal(r.worstRatioRps, Math.min(...r.cells.map((c) => c.ratioRps)));
  // Warm-ups and slices of the two sink-on sidecars, flushed by SIGTERM: one row per call answered.
  assert.ok(r.ledger.callsSent > 0);
  assert.equal(r.ledger.rows, r.ledger.callsSent);
});

test('bench:sink-procs options: cells are mode@concurrency, --control is the A/A check, a typo is an error that shows the usage', () => {
  const o = parseSideBySideArgs(['--cells', 'stream@64,non-stream@1', '--processes', '4', '--control'], ROOT);
  assert.equal(o.control, true);
  assert.equal(parseSideBySideArgs([], ROOT).control, false);
  assert.equal(parseSideBySideArgs(['--ledger-source', 'spans'], ROOT).ledgerSource, 'spans');
  assert.equal(parseSideBySideArgs([], ROOT).ledgerSource, undefined);
  assert.equal(parseSideBySideArgs([], ROOT).endpointNice, 0);
  assert.equal(parseSideBySideArgs(['--endpoint-nice', '30'], ROOT).endpointNice, 19);
  assert.throws(() => parseSideBySideArgs(['--endpoint-nice', '-1'], ROOT), /--endpoint-nice needs a whole number/);
  assert.throws(() => parseSideBySideArgs(['--ledger-source', 'span'], ROOT), /--ledger-source takes rows or spans, not "span"/);
  assert.deepEqual(o.cells, [
    { mode: 'stream', concurrency: 64 },
    { mode: 'non-stream', concurrency: 1 },
  ]);
  assert.equal(o.processes, 4);
  assert.throws(() => parseSideBySideArgs(['--cells', 'streaming@16'], ROOT), /bad cell "streaming@16"/);
  assert.throws(() => parseSideBySideArgs(['--rotation', '3'], ROOT), /unknown option --rotation\n.*--processes K/s);
  assert.throws(() => parseSideBySideArgs(['--processes', 'two'], ROOT), /--processes needs a whole number/);
  // --node-flags: V8 flags for every sidecar (none by default); a non-flag is refused.
  assert.deepEqual(parseSideBySideArgs([], ROOT).nodeFlags, []);
  assert.deepEqual(parseSideBySideArgs(['--node-flags', ''], ROOT).nodeFlags, []);
  assert.deepEqual(parseSideBySideArgs(['--node-flags', ' --max-semi-space-size=16  --min-semi-space-size=16 '], ROOT).nodeFlags, [
    '--max-semi-space-size=16',
    '--min-semi-space-size=16',
  ]);
  assert.throws(
    () => parseSideBySideArgs(['--node-flags', '16'], ROOT),
    /--node-flags takes node\/V8 flags \(--name\[=value\]\), not "16"/,
  );
});

test('bench:sink-procs with a bad option exits 2 with the message and the usage, no stack trace', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'bench.mjs'), 'side-by-side', '--cells', 'foo', '--build-dir', ROOT], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 2, r.stderr);
  assert.match(
    r.stderr,
    /^bench:sink-procs: bad cell "foo" \(want mode@concurrency, e\.g\. stream@16\)\nnpm run bench:sink-procs -- \[options\]/m,
  );
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});
