import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { request } from 'undici';
import { freePort, startLocalClickHouse } from '../src/sinks/clickhouse/local-server.js';
import { migrate } from '../src/sinks/clickhouse/migrations.js';
import { openClient } from '../src/sinks/clickhouse/open-client.js';
import { requestBody } from './fixture-bytes.js';
import { runLoad } from './load.js';
import { spawnMockUpstream } from './load-side.js';
import { cpuSecondsOf } from './procs.js';
import { LEDGER_DATABASE, startBenchSidecar } from './sidecar.js';

/**
 * What the span ledger costs ClickHouse (docs/benchmarks.md, twenty-first round): the same
 * non-stream load through two sidecars (the compiled build, sink on), one per ledger source, each
 * against a capture server on loopback that stands in for its ClickHouse and keeps its insert
 * bodies: the `otlp_in` documents (`ledger_source: spans`) and the `ai_calls_in_v2` rows
 * (`ledger_source: rows`). Then, for each, a fresh local ClickHouse (the chDB launcher, data on
 * tmpfs, the shipped migrations) gets the bodies in rounds (new dedup tokens each round), and its
 * CPU per call is read from /proc.
 *
 * Usage: `node --import tsx bench/otlp-ledger-probe.ts [--seconds 3] [--rounds 4] [--build-dir
 * .bench-results/build]`. It checks that each path leaves one `ai_calls` row and one
 * `ai_attempts` row per call, two `otel_traces` rows per call, and the same cost per call on
 * both paths (every bench call is the same priced fixture), above zero; it exits 1 otherwise. That the two paths write the same values, column by column, is
 * the ClickHouse tests' job (test/integration/clickhouse-sidecar.test.ts,
 * clickhouse-ledger.test.ts).
 */
const args = new Map<string, string>();
for (let i = 2; i + 1 < process.argv.length; i += 2) args.set(String(process.argv[i]).replace(/^--/, ''), String(process.argv[i + 1]));
const seconds = Number(args.get('seconds') ?? 3);
const rounds = Math.max(1, Number(args.get('rounds') ?? 4));
const buildDir = resolve(args.get('build-dir') ?? '.bench-results/build');
const log = (m: string) => process.stderr.write(`[otlp-ledger-probe] ${m}\n`);

const DB = LEDGER_DATABASE;
type Source = 'spans' | 'rows';
const TABLE: Record<Source, string> = { spans: 'otlp_in', rows: 'ai_calls_in_v2' };

interface Captured {
  inserts: { url: string; body: Buffer }[];
  calls: number;
}

/** One sidecar with this ledger source under `seconds` of non-stream load; the bodies of its ledger inserts. */
async function capture(work: string, source: Source): Promise<Captured> {
  const got: Captured = { inserts: [], calls: 0 };
  const insertInto = new RegExp(`INSERT INTO\\s+\\S*${TABLE[source]}\\b`);
  const server = createServer((req, res) => {
    void buffer(req).then((body) => {
      const url = req.url ?? '';
      if (insertInto.test(decodeURIComponent(url.replace(/\+/g, ' ')))) got.inserts.push({ url, body });
      res.writeHead(200, { 'content-type': 'application/json', 'x-clickhouse-summary': '{}' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const mock = await spawnMockUpstream(null);
  try {
    const s = await startBenchSidecar({
      name: `probe-${source}`,
      buildDir,
      workDir: join(work, source),
      core: null,
      mockUrl: String(mock.ready.mock),
      slowUrl: String(mock.ready.slow),
      otlpUrl: url,
      clickhouseUrl: url,
      clickhouseMigrate: false,
      ledgerSource: source,
      spoolDir: join(work, source, 'spool'),
      metricIntervalMs: 60_000,
    });
    const r = await runLoad({
      origin: s.origin,
      path: '/v1/chat/completions',
      body: requestBody('non-stream'),
      concurrency: 8,
      warmupMs: 0,
      durationMs: seconds * 1000,
    });
    got.calls = r.totalRequests - r.errors;
    await s.proc.stop(30_000);
  } finally {
    await mock.stop();
    server.close();
  }
  return got;
}

interface Landed {
  calls: number;
  attempts: number;
  spans: number;
  cost: number;
}

async function measure(source: Source, c: Captured): Promise<Landed> {
  const server = await startLocalClickHouse({ dataDir: mkdtempSync('/dev/shm/switchyard-otlp-probe-'), port: await freePort() });
  const client = await openClient({ kind: 'http', url: server.url, label: 'probe' });
  try {
    await migrate(client, { database: DB });
    let token = 0;
    for (let round = 1; round <= rounds; round++) {
      const cpu0 = cpuSecondsOf(server.pid);
      for (const r of c.inserts) {
        const url = `${server.url}${r.url.replace(/insert_deduplication_token=[^&]*/, `insert_deduplication_token=probe-${++token}`)}`;
        const res = await request(url, { method: 'POST', body: r.body });
        const text = await res.body.text();
        if (res.statusCode >= 300) throw new Error(`${source}: HTTP ${res.statusCode} ${text.slice(0, 300)}`);
      }
      const us = ((cpuSecondsOf(server.pid) - cpu0) * 1e6) / c.calls;
      process.stdout.write(
        `${source.padEnd(5)} round ${round}: ${c.inserts.length} inserts, ClickHouse CPU ${us.toFixed(1)} µs per call\n`,
      );
    }
    const rs = await client.query({
      query: `SELECT (SELECT count() FROM ${DB}.ai_calls FINAL), (SELECT count() FROM ${DB}.ai_attempts FINAL),
                     (SELECT uniqExact(SpanId) FROM ${DB}.otel_traces), (SELECT sum(cost_usd) FROM ${DB}.ai_calls FINAL)`,
      format: 'JSONCompactEachRow',
    });
    const [[calls, attempts, spans, cost]] = (await rs.json()) as [[string, string, string, number]];
    const landed = { calls: Number(calls), attempts: Number(attempts), spans: Number(spans), cost };
    process.stdout.write(`${source.padEnd(5)} landed: ${JSON.stringify(landed)} for ${c.calls} calls\n`);
    return landed;
  } finally {
    await client.close();
    await server.stop();
    rmSync(server.dataDir, { recursive: true, force: true });
  }
}

const work = mkdtempSync(join(tmpdir(), 'switchyard-otlp-probe-'));
try {
  let ok = true;
  const costPerCall: number[] = [];
  for (const source of ['spans', 'rows'] as const) {
    log(`capturing ${seconds} s of non-stream calls from ${buildDir}, ledger_source: ${source}`);
    const c = await capture(work, source);
    const bytes = c.inserts.reduce((n, r) => n + r.body.length, 0);
    process.stdout.write(
      `${source.padEnd(5)} ${c.calls} calls: ${c.inserts.length} inserts, ${(bytes / c.calls).toFixed(0)} bytes per call\n`,
    );
    if (c.inserts.length === 0) throw new Error(`nothing captured: the ${source} sidecar sent no ledger inserts`);
    const landed = await measure(source, c);
    // Each bench call is one attempt with two sampled spans; the mock's fixture prices every call the same.
    if (landed.calls !== c.calls || landed.attempts !== c.calls || landed.spans !== 2 * c.calls) ok = false;
    costPerCall.push(landed.cost / landed.calls);
  }
  // The mock's fixture prices every call the same, so sum(cost_usd) ÷ calls must agree between the paths.
  const [fromSpans = Number.NaN, fromRows = Number.NaN] = costPerCall;
  process.stdout.write(`cost per call: spans ${fromSpans}, rows ${fromRows}\n`);
  if (!(fromSpans > 0) || Math.abs(fromSpans - fromRows) > 1e-9 * fromSpans) ok = false;
  process.stdout.write(ok ? 'both paths: every call landed once, in every table\n' : 'MISMATCH (see above)\n');
  if (!ok) process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
