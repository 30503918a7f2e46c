import { renderEqualLoad } from './equal-load.js';
import { type BenchResults, TARGET_LABELS, type TargetName, findCell } from './results.js';

/** The markdown report of one bench run (printed, and written to `<out>/latest.md`). */
const f = (n: number, d: number) => (Number.isFinite(n) ? n.toFixed(d) : '–');
const pct = (n: number) => (Number.isFinite(n) ? `${Math.round(n * 100)}%` : '–');

export function renderMarkdown(r: BenchResults): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(`# Switchyard bench — ${r.startedAt}${r.options.quick ? ' (QUICK smoke run: numbers are not meaningful)' : ''}`);
  out.push('');
  out.push(
    `Machine: ${m.nproc} × ${m.cpuModel}, Node ${m.node}, Linux ${m.kernel}. ` +
      (m.pinned
        ? `Proxy under test pinned to core ${m.proxyCore}; load generator + mock upstream + OTLP receiver + ClickHouse + the discarding ClickHouse endpoint on core ${m.loadCore}. The ClickHouse server runs only during the sidecar-ch cells (stopped with SIGSTOP before any other cell, once that sidecar's sink has drained), so its merges do not take the load core from the others.`
        : 'NOT pinned (no taskset, or a single core).'),
  );
  out.push(
    `Method: closed loop, ${r.options.warmupMs} ms warm-up + ${r.options.durationMs} ms measured per cell, ${r.options.reps} run(s) per cell${r.options.freshPerRep && r.options.reps > 1 ? ', each by fresh proxy processes' : ''}${r.options.proxyWarmupMs ? `, every proxy process warmed up first with ${r.options.proxyWarmupMs} ms of load per mode` : ''}, medians shown. ` +
      'Command: `' +
      r.command +
      '`.',
  );
  out.push('');
  out.push('## Targets');
  out.push('');
  out.push('| check | target | measured | |');
  out.push('|---|---|---|---|');
  for (const c of r.summary.checks) out.push(`| ${c.name} | ${c.target} | ${c.measured} | ${c.pass ? 'PASS' : '**MISS**'} |`);
  out.push('');
  out.push(
    "Each target here is one process, so a ClickHouse on ÷ off cell carries that process's luck (a few % either way). " +
      'For the sink target, `npm run bench:sink-procs` compares five sink-off and five sink-on sidecars side by side (docs/benchmarks.md).',
  );
  out.push('');
  out.push('## Throughput and latency (medians)');
  out.push('');
  out.push(
    '| mode | conc | target | req/s | p50 ms | p99 ms | TTFB p50 ms | proxy CPU µs/req | proxy core busy | load core busy | other procs on proxy core | × bare |',
  );
  out.push('|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const mode of ['non-stream', 'stream'] as const) {
    for (const c of r.options.concurrency) {
      const bare = findCell(r.cells, 'bare', mode, c)?.median.rps ?? Number.NaN;
      for (const t of r.targets) {
        const cell = findCell(r.cells, t, mode, c);
        if (!cell) continue;
        const x = cell.median;
        out.push(
          `| ${mode} | ${c} | ${t} | ${f(x.rps, 0)} | ${f(x.p50Ms, 3)} | ${f(x.p99Ms, 3)} | ${mode === 'stream' ? f(x.ttfbP50Ms, 3) : '–'} | ` +
            `${t === 'direct' ? '–' : f(x.proxyCpuUsPerReq, 0)} | ${t === 'direct' ? '–' : pct(x.proxyCoreBusy)} | ${pct(x.loadCoreBusy)} | ${pct(x.proxyCoreOther)} | ` +
            `${t === 'direct' ? '–' : f(x.rps / bare, 2)} |${x.errors ? ` ${x.errors} errors` : ''}`,
        );
      }
    }
  }
  out.push('');
  out.push('## Ratios');
  out.push('');
  out.push(
    'Throughput ratios from req/s; "by CPU" divides CPU µs per request instead (bare ÷ sidecar), which other processes on the cores disturb less. ' +
      '"CH on" is `sidecar-ch` (the ClickHouse server on the load core); "CH discard" is `sidecar-chd` (the same sink, its inserts read and dropped by a stand-in endpoint: ClickHouse on a host of its own).',
  );
  out.push('');
  out.push(
    '| mode | conc | sidecar ÷ bare | sidecar+CH ÷ bare | CH on ÷ CH off | CH discard ÷ CH off | sidecar ÷ bare, by CPU | CH on ÷ off, by CPU | CH discard ÷ off, by CPU |',
  );
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const x of r.summary.ratios) {
    out.push(
      `| ${x.mode} | ${x.concurrency} | ${f(x.sidecarVsBare, 2)} | ${f(x.sidecarChVsBare, 2)} | ${f(x.chOnVsOff, 2)} | ${f(x.chdOnVsOff, 2)} | ` +
        `${f(x.sidecarVsBareCpu, 2)} | ${f(x.chOnVsOffCpu, 2)} | ${f(x.chdOnVsOffCpu, 2)} |`,
    );
  }
  if (r.targets.includes('sidecar-ch')) {
    out.push('');
    out.push('## The load core with ClickHouse on');
    out.push('');
    out.push(
      'CPU per request on the load core (load generator, mock upstream, OTLP receiver and ClickHouse), and the part of it that is the ClickHouse server ingesting the rows. ' +
        'The load core can drive at most 1 000 000 ÷ (load-core µs per request) requests per second; when that ceiling is below the sidecar\'s own throughput with ClickHouse off, "CH on ÷ CH off" by req/s measures this machine, not the sidecar.',
    );
    out.push('');
    out.push(
      '| mode | conc | load-core µs/req, CH off | load-core µs/req, CH on | of which ClickHouse µs/req | load-core ceiling, CH on (req/s) | sidecar req/s, CH off |',
    );
    out.push('|---|---:|---:|---:|---:|---:|---:|');
    for (const mode of ['non-stream', 'stream'] as const) {
      for (const c of r.options.concurrency) {
        const off = findCell(r.cells, 'sidecar', mode, c)?.median;
        const on = findCell(r.cells, 'sidecar-ch', mode, c)?.median;
        if (!off || !on) continue;
        out.push(
          `| ${mode} | ${c} | ${f(off.loadCpuUsPerReq, 0)} | ${f(on.loadCpuUsPerReq, 0)} | ${f(on.clickhouseCpuUsPerReq, 0)} | ${f(1e6 / on.loadCpuUsPerReq, 0)} | ${f(off.rps, 0)} |`,
        );
      }
    }
  }
  if (r.equalLoad?.length) out.push('', ...renderEqualLoad(r.equalLoad));
  out.push('');
  out.push(`## Added p50 latency vs the direct call (concurrency ${Math.min(...r.options.concurrency)})`);
  out.push('');
  out.push('| mode | target | added p50 ms |');
  out.push('|---|---|---:|');
  for (const a of r.summary.addedP50Ms) out.push(`| ${a.mode} | ${a.target} | ${f(a.ms, 3)} |`);
  out.push('');
  out.push('## Incremental streaming (upstream sends the first SSE event, waits 50 ms, sends the rest)');
  out.push('');
  out.push('| target | probes | time to first chunk, median ms | total, median ms | chunks seen | first chunk = first event |');
  out.push('|---|---:|---:|---:|---:|---|');
  for (const i of r.incremental) {
    out.push(
      `| ${i.target} | ${i.probes} | ${f(i.ttfcMsMedian, 2)} | ${f(i.totalMsMedian, 2)} | ${f(i.chunksMedian, 0)} | ${i.firstChunkIsFirstEvent ? 'yes' : 'no'} |`,
    );
  }
  out.push('');
  out.push('## Response fidelity (one call per target and mode, compared with the recorded fixture)');
  out.push('');
  out.push('| target | mode | status | bytes | fixture bytes | identical |');
  out.push('|---|---|---:|---:|---:|---|');
  for (const x of r.fidelity) {
    const why = x.identical
      ? 'yes'
      : `no, first difference at byte ${x.firstDiffAt}${x.diff ? `: fixture \`${x.diff.fixture}\` vs \`${x.diff.got}\`` : ''}`;
    out.push(`| ${x.target} | ${x.mode} | ${x.status} | ${x.bytes} | ${x.fixtureBytes} | ${why} |`);
  }
  if (r.ledger) {
    out.push('');
    out.push(
      `Ledger: ${r.ledger.rows} rows in \`ai_calls\` after SIGTERM flush, for ${r.ledger.callsSent} calls sent to the ClickHouse-on sidecar.`,
    );
  }
  if (r.discardLedger) {
    out.push('');
    out.push(
      `Discarding endpoint: ${r.discardLedger.rows} ledger rows (calls in \`otlp_in\` documents, and \`ai_calls_in_v2\` rows) received after SIGTERM flush, for ${r.discardLedger.callsSent} calls sent to \`sidecar-chd\`.`,
    );
  }
  if (r.profiles?.length) {
    out.push('');
    out.push('## CPU profiles (self time, whole run)');
    for (const p of r.profiles) {
      out.push('');
      out.push(`### ${p.target} — \`${p.file}\``);
      out.push('');
      out.push('| self % | function | where |');
      out.push('|---:|---|---|');
      for (const t of p.top) out.push(`| ${f(t.selfPct, 1)} | ${t.fn} | ${t.where} |`);
      out.push('');
      out.push(`By package: ${p.byPackage.map((b) => `${b.pkg} ${f(b.selfPct, 1)}%`).join(', ')}`);
    }
  }
  out.push('');
  out.push('Targets:');
  for (const t of r.targets) out.push(`- \`${t}\`: ${TARGET_LABELS[t as TargetName]}`);
  if (r.notes.length) {
    out.push('');
    out.push('Notes:');
    for (const n of r.notes) out.push(`- ${n}`);
  }
  out.push('');
  return out.join('\n');
}
