import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Mode, requestBody } from './fixture-bytes.js';
import { discardRows } from './ledger-targets.js';
import { spawnDiscardEndpoint, spawnMockUpstream } from './load-side.js';
import { runLoad } from './load.js';
import { type BenchProcess, type ThreadTimes, cmdlineOf, coreTimes, hasTaskset, machineCores, peakRssMiBOf } from './procs.js';
import { startBenchSidecar } from './sidecar.js';
import { median } from './stats.js';

/**
 * The ClickHouse sink's throughput cost with process luck averaged out: `npm run bench:sink-procs`.
 *
 * Two sidecar processes built from the same code can differ by several µs of CPU per call for the
 * whole of their lives (JIT and heap layout: docs/benchmarks.md, thirteenth round), as much as
 * the sink costs. `npm run bench` runs one process per target, so its `sidecar-chd` ÷ `sidecar`
 * cells carry that luck. Here K sink-off sidecars (the bench's `sidecar` configuration) and K
 * sink-on sidecars (`sidecar-chd`: the real sink, inserts to the discarding ClickHouse endpoint on
 * the load core, as for a ClickHouse on a host of its own) are alive at once, all pinned to the
 * proxy core. The load generator (on the load core) saturates each in turn for one slice; a
 * rotation visits every process once, starting one further along each time so no process always
 * follows the same one. Each cell's figure is the median over every slice of the group (K
 * processes × R rotations), and the verdict is on ÷ off of those medians. Every process serves
 * its share of every rotation, so slow spells of the machine hit both groups alike.
 *
 * `--control` runs the "on" group with the sink off as well: an A/A check of the harness itself.
 *
 * After the run every sidecar is stopped with SIGTERM (the sink flushes), and the endpoint's row
 * count must equal the calls the sink-on group answered.
 */
export interface SideBySideOptions {
  processes: number;
  rotations: number;
  sliceMs: number;
  warmupMs: number;
  processWarmupMs: number;
  cells: Cell[];
  buildDir: string;
  proxyCore: number;
  loadCore: number;
  /** A/A control: the "on" group runs with the sink off too, so on ÷ off shows the harness's own bias. */
  control: boolean;
  /** `telemetry.clickhouse.ledger_source` of the sink-on group (default: the config's default, spans). */
  ledgerSource?: 'rows' | 'spans';
  /** V8 flags every sidecar starts with (default none: as `npm start` and the image start it). */
  nodeFlags: string[];
  /**
   * Niceness of the discarding endpoint (0: as the load generator). It stands in for a ClickHouse
   * on a host of its own; at 19 it takes only the load core's spare time, so its bursts (reading a
   * batch of megabytes) cannot hold up the load generator and the mock upstream.
   */
  endpointNice: number;
  json: boolean;
}

export interface Cell {
  mode: Mode;
  concurrency: number;
}

type Group = 'off' | 'on';

export interface Slice {
  process: string;
  rotation: number;
  rps: number;
  cpuUsPerCall: number;
  /** Minor page faults per call in the slice. */
  faultsPerCall: number;
  /** CPU µs per call by thread: the main thread's user and system time, the other threads' total. */
  threadsUsPerCall: ThreadTimes;
  /** Cores over the window, from /proc/stat (NaN when unpinned or unreadable); see CoreLoad. */
  cores: CoreLoad;
}

/**
 * How busy the cores were in a slice's window, as fractions of the window: the proxy core, the part
 * of it the loaded sidecar's process did not account for (other processes, and interrupt work the
 * kernel charged to no process), and the load core (load generator, mock upstream, OTLP receiver,
 * discarding endpoint). A load core near 1.0 means the load side, not the sidecar, set the pace.
 */
export interface CoreLoad {
  proxyBusy: number;
  proxyNotSidecar: number;
  loadBusy: number;
}

export interface CellResult {
  cell: string;
  slices: Record<Group, Slice[]>;
  /** Medians over every slice of the group. */
  rps: Record<Group, number>;
  cpuUsPerCall: Record<Group, number>;
  faultsPerCall: Record<Group, number>;
  /** Medians over every slice of the group, by thread (see Slice). */
  threadsUsPerCall: Record<Group, ThreadTimes>;
  /** Medians over every slice of the group (see CoreLoad). */
  cores: Record<Group, CoreLoad>;
  /** on ÷ off by req/s; off ÷ on by CPU per call (both: the throughput the sink leaves). */
  ratioRps: number;
  ratioCpu: number;
}

export interface SideBySideResult {
  startedAt: string;
  pinned: boolean;
  options: Omit<SideBySideOptions, 'cells' | 'json'> & { cells: string[] };
  cells: CellResult[];
  worstRatioRps: number;
  /** Calls the sink-on group answered, and ledger rows the endpoint received (calls in `otlp_in` documents, plus `ai_calls_in_v2` rows). */
  ledger: { callsSent: number; rows: number };
  /** The flags each sidecar's node really ran with (read from /proc after start; empty where unreadable). */
  sidecarNodeFlags: Record<string, string[]>;
  /** Each sidecar's peak resident memory in MiB (VmHWM), read before it is stopped. */
  peakRssMiB: Record<string, number>;
}

const USAGE = `npm run bench:sink-procs -- [options]
  --processes K        sidecars per group, sink off and sink on (default 5: its A/A control reads within
                       2 %, three per group up to 4 %)
  --rotations R        slices per process per cell (default 6)
  --slice-ms N         measured window of a slice (default 2000)
  --warmup-ms N        unmeasured load before each slice (default 500)
  --process-warmup-ms N  unmeasured load per mode on each process before the first cell (default 3000)
  --cells LIST         mode@concurrency, comma-separated (default non-stream@16,non-stream@64,stream@16,stream@64)
  --build-dir DIR      compiled sidecar (default .bench-results/build, which the npm script compiles)
  --proxy-core N / --load-core N   cores (default 0 / 1)
  --control            A/A check: the "on" group runs with the sink off too (on ÷ off should read 1.00)
  --ledger-source S    spans (the default) or rows: where the sink-on group's ledger comes from
  --endpoint-nice N    niceness of the discarding endpoint on the load core (default 0; 19: it only
                       takes the load core's spare time)
  --node-flags "F"     node/V8 flags for every sidecar, e.g. "--max-semi-space-size=32" (default none,
                       as npm start and the image start it)
  --quick              smoke run: 2 processes per group, 1 rotation, 2 short cells
  --json               print the result as one JSON line at the end`;

function parseCell(s: string): Cell {
  const m = /^(non-stream|stream)@(\d+)$/.exec(s.trim());
  if (!m) throw new Error(`bad cell "${s}" (want mode@concurrency, e.g. stream@16)\n${USAGE}`);
  return { mode: m[1] as Mode, concurrency: Number(m[2]) };
}

export function parseSideBySideArgs(argv: readonly string[], root: string): SideBySideOptions {
  const o: SideBySideOptions = {
    processes: 5,
    rotations: 6,
    sliceMs: 2000,
    warmupMs: 500,
    processWarmupMs: 3000,
    cells: ['non-stream@16', 'non-stream@64', 'stream@16', 'stream@64'].map(parseCell),
    buildDir: resolve(root, '.bench-results/build'),
    proxyCore: 0,
    loadCore: 1,
    control: false,
    nodeFlags: [],
    endpointNice: 0,
    json: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    const count = () => {
      const v = Number(next());
      if (!Number.isInteger(v) || v < 0) throw new Error(`${a} needs a whole number\n${USAGE}`);
      return v;
    };
    if (a === '--processes') o.processes = Math.max(1, count());
    else if (a === '--rotations') o.rotations = Math.max(1, count());
    else if (a === '--slice-ms') o.sliceMs = Math.max(100, count());
    else if (a === '--warmup-ms') o.warmupMs = count();
    else if (a === '--process-warmup-ms') o.processWarmupMs = count();
    else if (a === '--cells') o.cells = next().split(',').map(parseCell);
    else if (a === '--build-dir') o.buildDir = resolve(next());
    else if (a === '--proxy-core') o.proxyCore = count();
    else if (a === '--load-core') o.loadCore = count();
    else if (a === '--control') o.control = true;
    else if (a === '--endpoint-nice') o.endpointNice = Math.min(19, count());
    else if (a === '--ledger-source') {
      const v = next();
      if (v !== 'rows' && v !== 'spans') throw new Error(`--ledger-source takes rows or spans, not "${v}"\n${USAGE}`);
      o.ledgerSource = v;
    } else if (a === '--node-flags') {
      o.nodeFlags = next()
        .split(/\s+/)
        .filter((f) => f !== '');
      const bad = o.nodeFlags.find((f) => !f.startsWith('--'));
      if (bad !== undefined) throw new Error(`--node-flags takes node/V8 flags (--name[=value]), not "${bad}"\n${USAGE}`);
    } else if (a === '--json') o.json = true;
    else if (a === '--quick')
      Object.assign(o, {
        processes: 2,
        rotations: 1,
        sliceMs: 300,
        warmupMs: 100,
        processWarmupMs: 200,
        cells: [parseCell('non-stream@16'), parseCell('stream@16')],
      });
    else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  return o;
}

const cellName = (c: Cell) => `${c.mode}@${c.concurrency}`;

function coreMedians(slices: readonly Slice[]): CoreLoad {
  const of = (k: keyof CoreLoad) => median(slices.map((x) => x.cores[k]));
  return { proxyBusy: of('proxyBusy'), proxyNotSidecar: of('proxyNotSidecar'), loadBusy: of('loadBusy') };
}

function threadMedians(slices: readonly Slice[]): ThreadTimes {
  const of = (k: keyof ThreadTimes) => median(slices.map((x) => x.threadsUsPerCall[k]));
  return { mainUser: of('mainUser'), mainSystem: of('mainSystem'), others: of('others') };
}

const log = (msg: string) => process.stderr.write(`[side-by-side] ${msg}\n`);

interface Sidecar {
  name: string;
  group: Group;
  proc: BenchProcess;
  origin: string;
  /** Calls it answered successfully (warm-ups included). */
  answered: number;
}

/** One slice of load on one sidecar; counts what it answered, returns req/s and CPU µs per call. */
async function slice(s: Sidecar, cell: Cell, durationMs: number, warmupMs: number, pinnedCores: { proxy: number; load: number } | null) {
  let cpu0 = Number.NaN;
  let cpu1 = Number.NaN;
  let faults0 = Number.NaN;
  let faults1 = Number.NaN;
  let threads0: ThreadTimes | undefined;
  let threads1: ThreadTimes | undefined;
  let cores0 = coreTimes();
  let cores1 = cores0;
  let wall0 = 0;
  let wall1 = 0;
  const r = await runLoad({
    origin: s.origin,
    path: '/v1/chat/completions',
    body: requestBody(cell.mode),
    concurrency: cell.concurrency,
    warmupMs,
    durationMs,
    onWindowStart: () => {
      cpu0 = s.proc.cpuSeconds();
      faults0 = s.proc.minorFaults();
      threads0 = s.proc.threadTimes();
      cores0 = coreTimes();
      wall0 = performance.now();
    },
    onWindowEnd: () => {
      cpu1 = s.proc.cpuSeconds();
      faults1 = s.proc.minorFaults();
      threads1 = s.proc.threadTimes();
      cores1 = coreTimes();
      wall1 = performance.now();
    },
  });
  s.answered += r.totalRequests - r.errors;
  if (r.errors > 0) throw new Error(`${s.name}: ${r.errors} failed calls (${r.firstError ?? 'no detail'})`);
  const perCall = (v: number) => (r.requests > 0 ? v / r.requests : Number.NaN);
  const thread = (k: keyof ThreadTimes) => perCall(((threads1?.[k] ?? Number.NaN) - (threads0?.[k] ?? Number.NaN)) * 1e6);
  const wallS = (wall1 - wall0) / 1000;
  const busy = (core: number | undefined) =>
    core === undefined ? Number.NaN : ((cores1.get(core)?.busy ?? Number.NaN) - (cores0.get(core)?.busy ?? Number.NaN)) / wallS;
  const proxyBusy = busy(pinnedCores?.proxy);
  return {
    rps: r.rps,
    cpuUsPerCall: perCall((cpu1 - cpu0) * 1e6),
    faultsPerCall: perCall(faults1 - faults0),
    threadsUsPerCall: { mainUser: thread('mainUser'), mainSystem: thread('mainSystem'), others: thread('others') },
    cores: { proxyBusy, proxyNotSidecar: proxyBusy - (cpu1 - cpu0) / wallS, loadBusy: busy(pinnedCores?.load) },
  };
}

function renice(p: BenchProcess, nice: number): void {
  const r = spawnSync('renice', ['-n', String(nice), '-p', String(p.pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`renice -n ${nice} -p ${p.pid} (${p.name}) failed: ${r.stderr || r.error?.message}`);
  log(`${p.name}: niceness ${nice}`);
}

export async function runSideBySide(o: SideBySideOptions): Promise<SideBySideResult> {
  const startedAt = new Date().toISOString();
  // As `npm run bench`: pinned only with taskset and two cores or more (one core cannot split proxy
  // and load). The machine's cores: this harness itself already runs pinned to the load core.
  const pinned = hasTaskset() && machineCores() >= 2;
  const proxyCore = pinned ? o.proxyCore : null;
  const loadCore = pinned ? o.loadCore : null;
  const pinnedCores = proxyCore !== null && loadCore !== null ? { proxy: proxyCore, load: loadCore } : null;
  if (!pinned) log('WARNING: no taskset or a single core: processes are NOT pinned, so the figures mix the load generator in');
  const work = mkdtempSync(join(tmpdir(), 'switchyard-side-by-side-'));
  const procs: BenchProcess[] = [];
  try {
    const mock = await spawnMockUpstream(loadCore);
    procs.push(mock);
    const discard = await spawnDiscardEndpoint(loadCore);
    procs.push(discard);
    if (o.endpointNice > 0) renice(discard, o.endpointNice);
    const sidecars: Sidecar[] = [];
    const sidecarNodeFlags: Record<string, string[]> = {};
    for (let k = 1; k <= o.processes; k++) {
      for (const group of ['off', 'on'] as const) {
        const name = `sink-${group}-${k}`;
        log(`starting ${name} (core ${proxyCore ?? 'any'})`);
        const s = await startBenchSidecar({
          name,
          buildDir: o.buildDir,
          workDir: join(work, name),
          core: proxyCore,
          mockUrl: String(mock.ready.mock),
          slowUrl: String(mock.ready.slow),
          otlpUrl: String(mock.ready.otlp),
          clickhouseUrl: group === 'on' && !o.control ? String(discard.ready.url) : null,
          clickhouseMigrate: false,
          ...(o.ledgerSource ? { ledgerSource: o.ledgerSource } : {}),
          spoolDir: join(work, name, 'spool'),
          metricIntervalMs: 5000,
          nodeFlags: o.nodeFlags,
        });
        procs.push(s.proc);
        sidecars.push({ name, group, proc: s.proc, origin: s.origin, answered: 0 });
        // What node actually got: the arguments between the executable and bench/sidecar-main.mjs.
        const args = cmdlineOf(s.proc.pid);
        const script = args.findIndex((a) => a.endsWith('sidecar-main.mjs'));
        sidecarNodeFlags[name] = script > 0 ? args.slice(1, script) : [];
      }
    }
    // A fresh sidecar compiles its hot paths and grows its buffers first: not measured.
    for (const s of sidecars) {
      for (const mode of ['non-stream', 'stream'] as const) await slice(s, { mode, concurrency: 16 }, o.processWarmupMs, 0, pinnedCores);
    }
    const cells: CellResult[] = [];
    for (const cell of o.cells) {
      const slices: Record<Group, Slice[]> = { off: [], on: [] };
      for (let rot = 0; rot < o.rotations; rot++) {
        log(`${cellName(cell)} rotation ${rot + 1}/${o.rotations}`);
        for (let i = 0; i < sidecars.length; i++) {
          const s = sidecars[(i + rot) % sidecars.length] as Sidecar;
          const m = await slice(s, cell, o.sliceMs, o.warmupMs, pinnedCores);
          slices[s.group].push({ process: s.name, rotation: rot, ...m });
        }
      }
      const byGroup = (f: (x: Slice) => number) => ({ off: median(slices.off.map(f)), on: median(slices.on.map(f)) });
      const rps = byGroup((x) => x.rps);
      const cpu = byGroup((x) => x.cpuUsPerCall);
      cells.push({
        cell: cellName(cell),
        slices,
        rps,
        cpuUsPerCall: cpu,
        faultsPerCall: byGroup((x) => x.faultsPerCall),
        threadsUsPerCall: {
          off: threadMedians(slices.off),
          on: threadMedians(slices.on),
        },
        cores: { off: coreMedians(slices.off), on: coreMedians(slices.on) },
        ratioRps: rps.on / rps.off,
        ratioCpu: cpu.off / cpu.on,
      });
    }
    const peakRssMiB: Record<string, number> = {};
    for (const s of sidecars) peakRssMiB[s.name] = peakRssMiBOf(s.proc.pid);
    log('stopping the sidecars (SIGTERM: the sink flushes)');
    for (const s of sidecars) {
      const code = await s.proc.stop(30_000);
      if (code !== 0) throw new Error(`${s.name} exited with code ${code} on SIGTERM:\n${s.proc.tail()}`);
    }
    const callsSent = o.control ? 0 : sidecars.filter((s) => s.group === 'on').reduce((a, s) => a + s.answered, 0);
    const rows = await discardRows(String(discard.ready.url));
    const { cells: _cells, json: _json, ...rest } = o;
    return {
      startedAt,
      pinned,
      options: { ...rest, cells: o.cells.map(cellName) },
      cells,
      worstRatioRps: Math.min(...cells.map((c) => c.ratioRps)),
      ledger: { callsSent, rows },
      sidecarNodeFlags,
      peakRssMiB,
    };
  } finally {
    for (const p of procs.reverse()) await p.stop(5_000).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

export function formatSideBySide(r: SideBySideResult): string {
  const f = (v: number, d = 0) => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');
  const lines = [
    `${r.options.control ? 'A/A CONTROL (both groups with the sink off): ' : ''}ClickHouse sink on ÷ off${r.options.ledgerSource ? ` (ledger from ${r.options.ledgerSource})` : ''}, ${r.options.processes} sidecars per group side by side, ${r.options.rotations} slices of ${r.options.sliceMs} ms per process per cell` +
      (r.pinned
        ? ` (sidecars on core ${r.options.proxyCore}, load + mock + discarding endpoint${r.options.endpointNice > 0 ? ` at niceness ${r.options.endpointNice}` : ''} on core ${r.options.loadCore})`
        : ' (NOT pinned)') +
      `; node flags: ${r.options.nodeFlags.join(' ') || 'none'}`,
    '',
    '| cell | off req/s | on req/s | on ÷ off | off CPU µs/call | on CPU µs/call | by CPU | minor faults/call off, on | within 10 % |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const c of r.cells) {
    lines.push(
      `| ${c.cell} | ${f(c.rps.off)} | ${f(c.rps.on)} | ${f(c.ratioRps, 3)} | ${f(c.cpuUsPerCall.off, 1)} | ${f(c.cpuUsPerCall.on, 1)} | ${f(c.ratioCpu, 3)} | ${f(c.faultsPerCall.off, 2)}, ${f(c.faultsPerCall.on, 2)} | ${c.ratioRps >= 0.9 ? 'yes' : 'NO'} |`,
    );
  }
  // One line per cell under a heading: `- cell: …`.
  const section = (title: string, line: (c: CellResult) => string) => {
    lines.push('', title);
    for (const c of r.cells) lines.push(`- ${c.cell}: ${line(c)}`);
  };
  section(
    'CPU µs per call by thread, off → on (medians; the main thread runs the JavaScript and its system calls, the other threads are V8 helpers and libuv):',
    ({ threadsUsPerCall: t }) =>
      `main user ${f(t.off.mainUser, 1)} → ${f(t.on.mainUser, 1)}, main system ${f(t.off.mainSystem, 1)} → ${f(t.on.mainSystem, 1)}, other threads ${f(t.off.others, 1)} → ${f(t.on.others, 1)}`,
  );
  section(
    'Cores in the measured windows, off → on (medians; fractions of the window): the proxy core busy, the part of it outside the loaded sidecar, the load core busy:',
    ({ cores: k }) =>
      `proxy core ${f(k.off.proxyBusy, 3)} → ${f(k.on.proxyBusy, 3)}, outside the sidecar ${f(k.off.proxyNotSidecar, 3)} → ${f(k.on.proxyNotSidecar, 3)}, load core ${f(k.off.loadBusy, 3)} → ${f(k.on.loadBusy, 3)}`,
  );
  section('Per process, median CPU µs per call by cell (the spread is the process luck this harness averages out):', (c) => {
    const byProcess = new Map<string, number[]>();
    for (const s of [...c.slices.off, ...c.slices.on]) byProcess.set(s.process, [...(byProcess.get(s.process) ?? []), s.cpuUsPerCall]);
    return [...byProcess].map(([p, v]) => `${p} ${f(median(v), 1)}`).join(', ');
  });
  lines.push(
    '',
    `Peak resident memory (VmHWM) per sidecar: ${Object.entries(r.peakRssMiB)
      .map(([name, mib]) => `${name} ${f(mib)} MiB`)
      .join(', ')}.`,
  );
  lines.push(
    '',
    `Worst cell on ÷ off by req/s: ${f(r.worstRatioRps, 3)}. Ledger: ${r.ledger.rows} ledger rows (calls in otlp_in documents, and ai_calls_in_v2 rows) at the discarding endpoint for ${r.ledger.callsSent} calls the sink-on sidecars answered` +
      (r.ledger.rows === r.ledger.callsSent ? ' (equal).' : ' (NOT equal).'),
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let o: SideBySideOptions;
  try {
    o = parseSideBySideArgs(argv, join(import.meta.dirname, '..'));
  } catch (err) {
    // A usage error: the message (with the usage), no stack.
    process.stderr.write(`bench:sink-procs: ${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const r = await runSideBySide(o);
  process.stdout.write(`${formatSideBySide(r)}\n`);
  if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
  if (r.ledger.rows !== r.ledger.callsSent) process.exitCode = 1;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main().catch((err) => {
    process.stderr.write(`bench:sink-procs: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
