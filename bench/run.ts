/**
 * `npm run bench` (through scripts/bench.mjs): the sidecar against a direct call to the same mock
 * upstream and against a bare node:http+undici passthrough, in one run. See docs/benchmarks.md.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { type LocalServer, freePort, startLocalClickHouse } from '../src/sinks/clickhouse/local-server.js';
import { ClickHouseGate } from './clickhouse-gate.js';
import { type Mode, firstEventEnd, fixtureFor, requestBody } from './fixture-bytes.js';
import { clickhouseDataDir, discardRows, ledgerRows } from './ledger-targets.js';
import { type EqualLoadRow, equalLoadRate, measureEqualLoad } from './equal-load.js';
import { fetchOnce, runLoad } from './load.js';
import { spawnDiscardEndpoint, spawnMockUpstream } from './load-side.js';
import { type BenchOptions, parseBenchArgs } from './options.js';
import { type BenchProcess, type CoreTimes, coreTimes, cpuSecondsOf, hasTaskset, machineCores } from './procs.js';
import { summariseProfile } from './profile-summary.js';
import { ProxySet, type Target } from './proxy-set.js';
import { renderMarkdown } from './report.js';
import { apiOrigin } from './sidecar.js';
import { type BenchResults, type Cell, type CellRun, type FidelityResult, type IncrementalResult, medianOf, summarise } from './results.js';
import { median } from './stats.js';

const ROOT = resolve(import.meta.dirname, '..');
const PATH = '/v1/chat/completions';
const MODES: Mode[] = ['non-stream', 'stream'];

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return m?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  } catch {
    return cpus()[0]?.model ?? 'unknown';
  }
}

async function fidelity(t: Target, mode: Mode): Promise<FidelityResult> {
  const fixture = fixtureFor(mode).body;
  const pool = new Pool(t.origin, { connections: 1 });
  try {
    const r = await fetchOnce(pool, { path: PATH, body: requestBody(mode) });
    if (r.status === 200) t.sent++;
    let diffAt = -1;
    const n = Math.max(fixture.length, r.body.length);
    for (let i = 0; i < n; i++) {
      if (fixture[i] !== r.body[i]) {
        diffAt = i;
        break;
      }
    }
    const ctx = (b: Buffer) => JSON.stringify(b.subarray(Math.max(0, diffAt - 20), diffAt + 20).toString('utf8'));
    return {
      target: t.name,
      mode,
      status: r.status,
      bytes: r.body.length,
      fixtureBytes: fixture.length,
      identical: diffAt < 0,
      firstDiffAt: diffAt,
      ...(diffAt >= 0 ? { diff: { fixture: ctx(fixture), got: ctx(r.body) } } : {}),
    };
  } finally {
    await pool.close();
  }
}

async function incremental(t: Target, probes: number): Promise<IncrementalResult> {
  const fixture = fixtureFor('stream').body;
  const firstEvent = fixture.subarray(0, firstEventEnd(fixture));
  const pool = new Pool(t.slowOrigin, { connections: 1 });
  const ttfc: number[] = [];
  const total: number[] = [];
  const chunks: number[] = [];
  let firstOk = true;
  try {
    for (let i = 0; i < probes; i++) {
      const pieces: Buffer[] = [];
      const sent = performance.now();
      const res = await pool.request({
        method: 'POST',
        path: PATH,
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench-app-key', ...t.slowHeaders },
        body: requestBody('stream'),
      });
      let first = 0;
      for await (const c of res.body) {
        if (first === 0) first = performance.now();
        pieces.push(c as Buffer);
      }
      const done = performance.now();
      if (res.statusCode !== 200) throw new Error(`${t.name}: incremental probe got HTTP ${res.statusCode}`);
      t.sent++;
      ttfc.push(first - sent);
      total.push(done - sent);
      chunks.push(pieces.length);
      if (!pieces[0]?.equals(firstEvent)) firstOk = false;
    }
  } finally {
    await pool.close();
  }
  return {
    target: t.name,
    probes,
    ttfcMsMedian: median(ttfc),
    totalMsMedian: median(total),
    chunksMedian: median(chunks),
    firstChunkIsFirstEvent: firstOk,
  };
}

async function measureCell(
  t: Target,
  mode: Mode,
  concurrency: number,
  o: BenchOptions,
  loadPids: readonly number[],
  clickhousePid: number | undefined,
  ratePerSec?: number,
): Promise<CellRun> {
  const chCpu = () => (clickhousePid === undefined ? Number.NaN : cpuSecondsOf(clickhousePid));
  const marks = {
    ch0: 0,
    ch1: 0,
    proxy0: 0,
    proxy1: 0,
    load0: 0,
    load1: 0,
    t0: 0,
    t1: 0,
    cores0: new Map<number, CoreTimes>(),
    cores1: new Map<number, CoreTimes>(),
  };
  const loadCpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6 + loadPids.reduce((a, pid) => a + (cpuSecondsOf(pid) || 0), 0);
  };
  const r = await runLoad({
    origin: t.origin,
    path: PATH,
    body: requestBody(mode),
    concurrency,
    warmupMs: o.warmupMs,
    durationMs: o.durationMs,
    ...(ratePerSec !== undefined ? { ratePerSec } : {}),
    onWindowStart: () => {
      marks.t0 = performance.now();
      marks.proxy0 = t.proc ? t.proc.cpuSeconds() : Number.NaN;
      marks.load0 = loadCpu();
      marks.ch0 = chCpu();
      marks.cores0 = coreTimes();
    },
    onWindowEnd: () => {
      marks.t1 = performance.now();
      marks.proxy1 = t.proc ? t.proc.cpuSeconds() : Number.NaN;
      marks.load1 = loadCpu();
      marks.ch1 = chCpu();
      marks.cores1 = coreTimes();
    },
  });
  t.sent += r.totalRequests - r.errors;
  const wall = (marks.t1 - marks.t0) / 1000;
  const proxyCpu = marks.proxy1 - marks.proxy0;
  const loadUsed = marks.load1 - marks.load0;
  const coreDelta = (core: number | null, k: keyof CoreTimes) => {
    if (core === null) return Number.NaN;
    const a = marks.cores0.get(core);
    const b = marks.cores1.get(core);
    return a && b ? b[k] - a[k] : Number.NaN;
  };
  const steal = coreDelta(o.proxyCore, 'steal') + coreDelta(o.loadCore, 'steal');
  return {
    ...r,
    proxyCpuUsPerReq: r.requests > 0 ? (proxyCpu * 1e6) / r.requests : Number.NaN,
    proxyCoreBusy: proxyCpu / wall,
    loadCpuUsPerReq: r.requests > 0 ? (loadUsed * 1e6) / r.requests : Number.NaN,
    clickhouseCpuUsPerReq: r.requests > 0 ? ((marks.ch1 - marks.ch0) * 1e6) / r.requests : Number.NaN,
    loadCoreBusy: loadUsed / wall,
    proxyCoreOther: Math.max(0, coreDelta(o.proxyCore, 'busy') - (t.proc ? proxyCpu : 0)) / wall,
    loadCoreOther: Math.max(0, coreDelta(o.loadCore, 'busy') - loadUsed) / wall,
    steal: steal / wall,
    ...(t.proc ? { proxyPid: t.proc.pid } : {}),
  };
}

/**
 * Loads every proxy process, unmeasured, before its first cell: a fresh sidecar compiles its hot paths, and
 * its ClickHouse sink grows its batch buffers to working size and fills its body pool, which costs
 * it extra major GCs for several seconds (docs/benchmarks.md). Each mode at concurrency 16.
 */
async function warmUp(targets: readonly Target[], o: BenchOptions): Promise<void> {
  if (o.proxyWarmupMs <= 0) return;
  log(`warm-up: ${o.proxyWarmupMs} ms per mode on each proxy`);
  for (const t of targets) {
    if (!t.proc) continue;
    for (const mode of MODES) {
      const r = await runLoad({
        origin: t.origin,
        path: PATH,
        body: requestBody(mode),
        concurrency: 16,
        warmupMs: o.proxyWarmupMs,
        durationMs: 100,
      });
      t.sent += r.totalRequests - r.errors;
    }
  }
}

async function main(): Promise<void> {
  const o = parseBenchArgs(process.argv.slice(2), ROOT);
  const startedAt = new Date().toISOString();
  const notes: string[] = [];
  const cores = machineCores();
  const pinned = hasTaskset() && cores >= 2;
  if (!hasTaskset()) notes.push('taskset (util-linux) not found: processes are NOT pinned to cores (apt-get install util-linux).');
  if (cores < 2) notes.push('fewer than 2 cores: proxy and load generator share a core; ratios are not meaningful.');
  const proxyCore = pinned ? o.proxyCore : null;
  const loadCore = pinned ? o.loadCore : null;
  mkdirSync(o.outDir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const profDir = join(o.outDir, 'profiles');
  if (o.profile) {
    rmSync(profDir, { recursive: true, force: true });
    mkdirSync(profDir, { recursive: true });
  }
  const procs: BenchProcess[] = [];
  let proxySet: ProxySet | undefined;
  let clickhouse: LocalServer | undefined;
  let gate: ClickHouseGate | undefined;
  let dataDir: string | undefined;
  try {
    log(`mock upstream + OTLP receiver (core ${loadCore ?? 'any'})`);
    const mock = await spawnMockUpstream(loadCore);
    procs.push(mock);
    const mockUrl = String(mock.ready.mock);
    const slowUrl = String(mock.ready.slow);
    const otlpUrl = String(mock.ready.otlp);

    let discard: BenchProcess | undefined;
    if (o.clickhouse) {
      log(`discarding ClickHouse endpoint (core ${loadCore ?? 'any'})`);
      discard = await spawnDiscardEndpoint(loadCore);
      procs.push(discard);
      try {
        const port = await freePort();
        dataDir = clickhouseDataDir(work);
        log(`ClickHouse server (chDB launcher) on port ${port}, data in ${dataDir}`);
        clickhouse = await startLocalClickHouse({ dataDir, port });
      } catch (e) {
        notes.push(`ClickHouse server did not start, the ClickHouse-on cells are skipped: ${(e as Error).message.split('\n')[0]}`);
      }
    }
    const proxies = await ProxySet.start({
      o,
      root: ROOT,
      work,
      proxyCore,
      mockUrl,
      slowUrl,
      otlpUrl,
      clickhouseUrl: clickhouse?.url,
      discardUrl: discard ? String(discard.ready.url) : undefined,
      profDir: o.profile ? profDir : undefined,
      log,
    });
    proxySet = proxies;
    const targets = proxies.targets;
    const chTarget = targets.find((t) => t.name === 'sidecar-ch');
    // The ClickHouse server runs only for its own sidecar's cells (clickhouse-gate.ts).
    if (clickhouse && chTarget) {
      gate = new ClickHouseGate({ pid: clickhouse.pid, healthOrigin: () => apiOrigin({ api: chTarget.proc?.ready.health }), log });
    }

    log('response fidelity');
    const fid: FidelityResult[] = [];
    for (const t of targets) for (const mode of MODES) fid.push(await fidelity(t, mode));

    log('incremental streaming probes');
    const inc: IncrementalResult[] = [];
    for (const t of targets) inc.push(await incremental(t, o.probes));
    await warmUp(targets, o);

    // Everything on the load core besides this process: its CPU counts as the bench's, not as other load.
    const loadPids = [mock.pid, ...(discard ? [discard.pid] : []), ...(clickhouse ? [clickhouse.pid] : [])];
    const cells: Cell[] = [];
    const total = o.reps * MODES.length * o.concurrency.length * targets.length;
    let n = 0;
    for (let rep = 0; rep < o.reps; rep++) {
      if (rep > 0 && o.freshPerRep) {
        log(`rep ${rep + 1}: fresh proxy processes`);
        gate?.open();
        await proxies.restart(notes);
        await warmUp(targets, o);
      }
      for (const mode of MODES) {
        for (const c of o.concurrency) {
          for (const t of targets) {
            n++;
            await gate?.forTarget(t.name);
            const run = await measureCell(t, mode, c, o, loadPids, clickhouse?.pid);
            let cell = cells.find((x) => x.target === t.name && x.mode === mode && x.concurrency === c);
            if (!cell) {
              cell = { target: t.name, mode, concurrency: c, runs: [], median: medianOf([]) };
              cells.push(cell);
            }
            cell.runs.push(run);
            log(
              `${String(n).padStart(3)}/${total} rep ${rep + 1} ${mode.padEnd(10)} c=${String(c).padEnd(3)} ${t.name.padEnd(10)} ` +
                `${run.rps.toFixed(0).padStart(6)} req/s  p50 ${run.latencyMs.p50.toFixed(3)} ms  p99 ${run.latencyMs.p99.toFixed(3)} ms` +
                (t.proc ? `  ${run.proxyCpuUsPerReq.toFixed(0)} µs CPU/req  core ${(run.proxyCoreBusy * 100).toFixed(0)}%` : '') +
                (run.errors ? `  ${run.errors} ERRORS (${run.firstError})` : ''),
            );
            await new Promise((r) => setTimeout(r, o.settleMs));
          }
        }
      }
    }
    for (const cell of cells) cell.median = medianOf(cell.runs);

    const sidecarTarget = targets.find((t) => t.name === 'sidecar');
    let equalLoad: EqualLoadRow[] | undefined;
    if (sidecarTarget && chTarget) {
      log('the ClickHouse sink at equal load (sink off and on, paced at the same rate)');
      equalLoad = await measureEqualLoad({
        modes: MODES,
        reps: o.reps,
        rateFor: (mode) => equalLoadRate(cells, mode, o.concurrency),
        measure: async (on, mode, rate, c) => {
          await gate?.forTarget(on ? chTarget.name : sidecarTarget.name);
          const run = await measureCell(on ? chTarget : sidecarTarget, mode, c, o, loadPids, clickhouse?.pid, rate);
          await new Promise((r) => setTimeout(r, o.settleMs));
          return run;
        },
        log,
      });
    }
    const busyOther = cells.filter((c) => c.median.proxyCoreOther > 0.05 || c.median.loadCoreOther > 0.15);
    if (busyOther.length) {
      notes.push(
        `other processes used the bench's cores during ${busyOther.length} of ${cells.length} cells (median > 5% of the proxy core or > 15% of the load core): ` +
          'those figures are disturbed, see proxyCoreOther/loadCoreOther in the JSON.',
      );
    }

    const results: BenchResults = {
      version: 1,
      startedAt,
      finishedAt: '',
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      options: {
        quick: o.quick,
        reps: o.reps,
        warmupMs: o.warmupMs,
        durationMs: o.durationMs,
        concurrency: o.concurrency,
        probes: o.probes,
        freshPerRep: o.freshPerRep,
        proxyWarmupMs: o.proxyWarmupMs,
      },
      machine: { nproc: cores, cpuModel: cpuModel(), node: process.versions.node, kernel: release(), pinned, proxyCore, loadCore },
      targets: targets.map((t) => t.name),
      fidelity: fid,
      cells,
      incremental: inc,
      summary: summarise(cells, inc, o.concurrency),
      ...(equalLoad ? { equalLoad } : {}),
      notes,
    };

    if (gate) {
      gate.open();
      notes.push(
        `The ClickHouse server ran only for the sidecar-ch cells: it was stopped (SIGSTOP) ${gate.pauses} times, before other targets' cells, ` +
          (gate.undrained > 0
            ? `${gate.undrained} of them with the sidecar-ch sink not yet drained.`
            : 'each time with the sidecar-ch sink drained.'),
      );
    }
    // Stop the proxies gracefully: SIGTERM flushes the sidecars' ledgers and writes CPU profiles.
    await proxies.stop(notes);
    if (chTarget && clickhouse) {
      try {
        results.ledger = { rows: await ledgerRows(clickhouse.url), callsSent: chTarget?.sent ?? 0 };
        if (results.ledger.rows !== results.ledger.callsSent) {
          notes.push(`ledger rows (${results.ledger.rows}) ≠ calls sent to the ClickHouse-on sidecar (${results.ledger.callsSent}).`);
        }
      } catch (e) {
        notes.push(`could not count ledger rows: ${(e as Error).message}`);
      }
    }
    const chdTarget = targets.find((t) => t.name === 'sidecar-chd');
    if (discard && chdTarget) {
      try {
        results.discardLedger = { rows: await discardRows(String(discard.ready.url)), callsSent: chdTarget.sent };
        if (results.discardLedger.rows !== results.discardLedger.callsSent) {
          notes.push(
            `ledger rows at the discarding endpoint (${results.discardLedger.rows}) ≠ calls sent to sidecar-chd (${results.discardLedger.callsSent}).`,
          );
        }
      } catch (e) {
        notes.push(`could not read the discarding endpoint's totals: ${(e as Error).message}`);
      }
    }
    if (o.profile) {
      results.profiles = [];
      for (const name of ['sidecar', 'sidecar-ch', 'sidecar-chd'] as const) {
        const file = join(profDir, `${name}.cpuprofile`);
        try {
          results.profiles.push({ target: name, file, ...summariseProfile(file, ROOT) });
        } catch (e) {
          notes.push(`no CPU profile for ${name}: ${(e as Error).message}`);
        }
      }
    }
    results.finishedAt = new Date().toISOString();
    const md = renderMarkdown(results);
    const base = o.quick ? 'quick' : 'latest';
    writeFileSync(join(o.outDir, `${base}.json`), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(join(o.outDir, `${base}.md`), md);
    process.stdout.write(`${md}\n`);
    log(`wrote ${join(o.outDir, `${base}.md`)} and ${base}.json`);
  } finally {
    // A sidecar-ch stopped on a failure flushes its ledger into a running server.
    gate?.open();
    for (const p of [...(proxySet?.processes ?? []), ...procs.reverse()]) await p.stop(5000).catch(() => undefined);
    await clickhouse?.stop().catch(() => undefined);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
