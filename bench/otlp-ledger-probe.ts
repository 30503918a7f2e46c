import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { request } from 'undici';
import { AI_ATTEMPTS_COLUMNS } from '../src/sinks/clickhouse/ddl/ai-attempts.js';
import { AI_CALLS_COLUMNS } from '../src/sinks/clickhouse/ddl/ai-calls.js';
import { columnNames } from '../src/sinks/clickhouse/ddl/ai-calls-in.js';
import { freePort, startLocalClickHouse } from '../src/sinks/clickhouse/local-server.js';
import { migrate } from '../src/sinks/clickhouse/migrations.js';
import { openClient } from '../src/sinks/clickhouse/open-client.js';
import { requestBody } from './fixture-bytes.js';
import { runLoad } from './load.js';
import { spawnMockUpstream } from './load-side.js';
import { cpuSecondsOf } from './procs.js';
import { LEDGER_DATABASE, startBenchSidecar } from './sidecar.js';

/**
 * A probe for a design the sink does not have yet (docs/benchmarks.md, twentieth round): the
 * ledger and `otel_traces` built by ClickHouse views from the OTLP/JSON bytes the proxy already
 * writes for its exporter, instead of rows the sink builds. It measures the ClickHouse side:
 *
 * 1. One sidecar (the compiled build, sink on) serves non-stream calls; a capture server on
 *    loopback stands in for both its OTLP receiver and its ClickHouse, and keeps the OTLP trace
 *    bodies and the `ai_calls_in_v2` insert bodies of the same calls.
 * 2. For each path, a fresh local ClickHouse (the chDB launcher, data on tmpfs) with the shipped
 *    migrations gets the bodies in rounds, and its CPU per call is read from /proc:
 *    - `rowbinary`: the shipped inserts, as the sink sent them;
 *    - `otlp`: the OTLP documents into `otlp_in` (nested named tuples), a view flattening them to
 *      one row per span, and views from there into the real `otel_traces`, `ai_calls` and
 *      `ai_attempts` (a CLIENT span's call id, feature and start looked up from the SERVER span of
 *      the same document). The exporter's bodies are joined `--join` to an insert, as the sink
 *      would batch them.
 *
 * Usage: `node --import tsx bench/otlp-ledger-probe.ts [--seconds 3] [--join 17] [--rounds 4]
 * [--build-dir .bench-results/build] [--parent-lookup off]`. It checks that both paths leave one
 * `ai_calls` row per call, the same `sum(cost_usd)`, and the same values in every `otel_traces`,
 * `ai_calls` and `ai_attempts` column the OTLP views write (per-column checksums); it exits 1
 * otherwise. The `ai_calls` columns the spans do not carry (cache and reasoning tokens, service,
 * namespace, pod, workload) are not compared.
 */
const args = new Map<string, string>();
for (let i = 2; i + 1 < process.argv.length; i += 2) args.set(String(process.argv[i]).replace(/^--/, ''), String(process.argv[i + 1]));
const seconds = Number(args.get('seconds') ?? 3);
const join_ = Math.max(1, Number(args.get('join') ?? 17));
const rounds = Math.max(1, Number(args.get('rounds') ?? 4));
const buildDir = resolve(args.get('build-dir') ?? '.bench-results/build');
// `--parent-lookup off`: CLIENT spans get no call id, feature or start from their SERVER span (the
// ai_attempts rows are then incomplete, and the comparison fails); for what the views cost when
// the spans carry those attributes themselves.
const parentLookup = args.get('parent-lookup') !== 'off';
const log = (m: string) => process.stderr.write(`[otlp-ledger-probe] ${m}\n`);

const DB = LEDGER_DATABASE;
const VALUE =
  'Tuple(stringValue Nullable(String), intValue Nullable(Int64), doubleValue Nullable(Float64), boolValue Nullable(Bool), ' +
  'arrayValue Tuple(values Array(Tuple(stringValue Nullable(String)))))';
const ATTRS = `Array(Tuple(key String, value ${VALUE}))`;
const SPAN =
  'Tuple(traceId String, spanId String, parentSpanId String, traceState String, name String, kind UInt8, ' +
  `startTimeUnixNano UInt64, endTimeUnixNano UInt64, attributes ${ATTRS}, status Tuple(code UInt8, message String))`;
const ATTR_TEXT =
  "coalesce(a.value.stringValue, toString(a.value.intValue), toString(a.value.doubleValue), toString(a.value.boolValue), if(empty(a.value.arrayValue.values), NULL, toJSONString(arrayMap(x -> x.stringValue, a.value.arrayValue.values))), '')";
const OTLP_DDL = [
  `CREATE TABLE ${DB}.otlp_in (resourceSpans Array(Tuple(resource Tuple(attributes ${ATTRS}), scopeSpans Array(Tuple(scope Tuple(name String, version String), spans Array(${SPAN})))))) ENGINE = Null`,
  `CREATE TABLE ${DB}.otlp_spans_in (res Map(LowCardinality(String), String), scope_name String, scope_version String, trace_id String, span_id String, parent String, trace_state String, name String, kind UInt8, start UInt64, end UInt64, attrs Map(LowCardinality(String), String), status_code UInt8, status_message String, parent_call_id String, parent_feature String, parent_start UInt64) ENGINE = Null`,
  // One row per span. A CLIENT span takes its call's id, feature and start from the SERVER span
  // of the same document, looked up once per document (an attempt's ai_attempts row needs them).
  `CREATE MATERIALIZED VIEW ${DB}.otlp_spans_mv TO ${DB}.otlp_spans_in AS SELECT
     mapFromArrays(arrayMap(a -> a.key, d.1), arrayMap(a -> coalesce(a.value.stringValue, toString(a.value.intValue), ''), d.1)) AS res,
     sc.1 AS scope_name, sc.2 AS scope_version, sp.1.traceId AS trace_id, sp.1.spanId AS span_id, sp.1.parentSpanId AS parent,
     sp.1.traceState AS trace_state, sp.1.name AS name, sp.1.kind AS kind, sp.1.startTimeUnixNano AS start, sp.1.endTimeUnixNano AS end,
     mapFromArrays(arrayMap(a -> a.key, sp.1.attributes), arrayMap(a -> ${ATTR_TEXT}, sp.1.attributes)) AS attrs,
     sp.1.status.code AS status_code, sp.1.status.message AS status_message,
     sp.2.1 AS parent_call_id, sp.2.2 AS parent_feature, sp.2.3 AS parent_start
   FROM (
     SELECT arrayMap(rs -> (rs.resource.attributes, arrayMap(ss -> (ss.scope.name, ss.scope.version, arrayMap(s -> (s, ${parentLookup ? 'server[s.parentSpanId]' : "('', '', toUInt64(0))"}), ss.spans)), rs.scopeSpans)), resourceSpans) AS docs
     FROM (
       SELECT resourceSpans,
         arrayFilter(s -> s.kind = 2, arrayFlatten(arrayMap(rs -> arrayFlatten(arrayMap(ss -> ss.spans, rs.scopeSpans)), resourceSpans))) AS servers,
         ${parentLookup ? "mapFromArrays(arrayMap(s -> s.spanId, servers), arrayMap(s -> (ifNull(arrayFirst(a -> a.key = 'switchyard.call.id', s.attributes).value.stringValue, ''), ifNull(arrayFirst(a -> a.key = 'switchyard.feature', s.attributes).value.stringValue, ''), s.startTimeUnixNano), servers))" : 'map()'} AS server
       FROM ${DB}.otlp_in))
   ARRAY JOIN docs AS d ARRAY JOIN d.2 AS sc ARRAY JOIN sc.3 AS sp`,
  `CREATE MATERIALIZED VIEW ${DB}.otlp_attempts_mv TO ${DB}.ai_attempts AS SELECT
     parent_call_id AS call_id, fromUnixTimestamp64Milli(toInt64(intDiv(parent_start, 1000000))) AS ts,
     fromUnixTimestamp64Milli(toInt64(intDiv(start, 1000000))) AS started_at, parent_feature AS feature,
     toUInt16OrZero(attrs['switchyard.attempt.index']) AS attempt_index, toUInt16OrZero(attrs['switchyard.attempt.target_index']) AS target_index,
     toUInt16OrZero(attrs['switchyard.attempt.try']) AS try_number, attrs['switchyard.provider'] AS provider, attrs['gen_ai.provider.name'] AS provider_name,
     attrs['gen_ai.request.model'] AS model, attrs['gen_ai.response.model'] AS response_model, attrs['server.address'] AS server_address, span_id,
     toUInt16OrZero(attrs['http.response.status_code']) AS http_status, if(status_code = 2, 'error', 'ok') AS outcome, attrs['error.type'] AS error_type,
     round((end - start) / 1000) / 1000 AS duration_ms, round(toFloat64OrNull(attrs['gen_ai.response.time_to_first_chunk']) * 1e6) / 1000 AS ttfc_ms,
     toUInt64OrZero(attrs['gen_ai.usage.input_tokens']) AS input_tokens, toUInt64OrZero(attrs['gen_ai.usage.output_tokens']) AS output_tokens,
     toUInt64OrZero(attrs['gen_ai.usage.cache_read.input_tokens']) AS cache_read_tokens, toUInt64OrZero(attrs['gen_ai.usage.cache_creation.input_tokens']) AS cache_write_tokens,
     toUInt64OrZero(attrs['gen_ai.usage.reasoning.output_tokens']) AS reasoning_tokens, toFloat64OrNull(attrs['switchyard.cost.usd']) AS cost_usd
   FROM ${DB}.otlp_spans_in WHERE kind = 3${parentLookup ? " AND parent_call_id != ''" : ''}`,
  `CREATE MATERIALIZED VIEW ${DB}.otlp_traces_mv TO ${DB}.otel_traces AS SELECT
     fromUnixTimestamp64Nano(toInt64(start)) AS Timestamp, trace_id AS TraceId, span_id AS SpanId, parent AS ParentSpanId, trace_state AS TraceState,
     name AS SpanName, ['SPAN_KIND_UNSPECIFIED','SPAN_KIND_INTERNAL','SPAN_KIND_SERVER','SPAN_KIND_CLIENT','SPAN_KIND_PRODUCER','SPAN_KIND_CONSUMER'][kind + 1] AS SpanKind, res['service.name'] AS ServiceName,
     res AS ResourceAttributes, scope_name AS ScopeName, scope_version AS ScopeVersion, attrs AS SpanAttributes, end - start AS Duration,
     ['STATUS_CODE_UNSET','STATUS_CODE_OK','STATUS_CODE_ERROR'][status_code + 1] AS StatusCode, status_message AS StatusMessage
   FROM ${DB}.otlp_spans_in`,
  `CREATE MATERIALIZED VIEW ${DB}.otlp_calls_mv TO ${DB}.ai_calls AS SELECT
     attrs['switchyard.call.id'] AS call_id, fromUnixTimestamp64Milli(toInt64(intDiv(start, 1000000))) AS ts, trace_id, span_id,
     attrs['switchyard.feature'] AS feature, attrs['switchyard.route'] AS route, attrs['switchyard.operation'] AS operation, attrs['url.path'] AS path,
     attrs['switchyard.streamed'] = 'true' AS streamed, attrs['switchyard.requested_model'] AS requested_model,
     attrs['switchyard.final.provider'] AS final_provider, attrs['switchyard.final.model'] AS final_model, attrs['switchyard.outcome'] AS outcome,
     attrs['error.type'] AS error_type, toUInt16OrZero(attrs['http.response.status_code']) AS http_status,
     toUInt16OrZero(attrs['switchyard.attempt.count']) AS attempt_count, toUInt16OrZero(attrs['switchyard.retry.count']) AS retry_count,
     splitByChar(',', attrs['switchyard.fallback.path']) AS fallback_path, attrs['switchyard.fallback.path'] AS fallback_path_str,
     round((end - start) / 1000) / 1000 AS latency_ms, toFloat64OrNull(attrs['switchyard.time_to_first_chunk_ms']) AS ttfc_ms,
     toFloat64OrZero(attrs['switchyard.overhead_ms']) AS overhead_ms, toUInt64OrZero(attrs['switchyard.usage.input_tokens']) AS input_tokens,
     toUInt64OrZero(attrs['switchyard.usage.output_tokens']) AS output_tokens, toFloat64OrNull(attrs['switchyard.cost.usd']) AS cost_usd,
     attrs['switchyard.price_table.version'] AS price_table_version, attrs['switchyard.config.hash'] AS config_hash
   FROM ${DB}.otlp_spans_in WHERE kind = 2`,
];
const OTLP_SETTINGS =
  'input_format_json_named_tuples_as_objects=1&input_format_json_defaults_for_missing_elements_in_named_tuple=1&input_format_skip_unknown_fields=1';

interface Captured {
  otlp: Buffer[];
  rows: { url: string; body: Buffer }[];
  calls: number;
}

async function capture(work: string): Promise<Captured> {
  const got: Captured = { otlp: [], rows: [], calls: 0 };
  const server = createServer((req, res) => {
    void buffer(req).then((body) => {
      const url = req.url ?? '';
      if (url.startsWith('/v1/traces')) got.otlp.push(body);
      else if (/INSERT INTO\s+\S*ai_calls_in_v2/.test(decodeURIComponent(url.replace(/\+/g, ' ')))) got.rows.push({ url, body });
      res.writeHead(200, { 'content-type': 'application/json', 'x-clickhouse-summary': '{}' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const mock = await spawnMockUpstream(null);
  try {
    const s = await startBenchSidecar({
      name: 'probe',
      buildDir,
      workDir: join(work, 'sidecar'),
      core: null,
      mockUrl: String(mock.ready.mock),
      slowUrl: String(mock.ready.slow),
      otlpUrl: url,
      clickhouseUrl: url,
      clickhouseMigrate: false,
      spoolDir: join(work, 'spool'),
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

/** Order-independent checksums of each column the OTLP views write (duplicates of later rounds dropped). */
const TRACE_COLUMNS = [
  'Timestamp',
  'TraceId',
  'SpanId',
  'ParentSpanId',
  'TraceState',
  'SpanName',
  'SpanKind',
  'ServiceName',
  'ResourceAttributes',
  'ScopeName',
  'ScopeVersion',
  'SpanAttributes',
  'Duration',
  'StatusCode',
  'StatusMessage',
];
// The ledger's columns (ddl/ai-calls.ts) but those the spans do not carry today.
const NOT_IN_SPANS = new Set(['cache_read_tokens', 'cache_write_tokens', 'reasoning_tokens', 'service', 'namespace', 'pod', 'workload']);
const CALL_COLUMNS = columnNames(AI_CALLS_COLUMNS.trim()).filter((c) => c !== 'INDEX' && c !== '' && !NOT_IN_SPANS.has(c));
const ATTEMPT_COLUMNS = columnNames(AI_ATTEMPTS_COLUMNS.trim()).filter((c) => c !== 'INDEX' && c !== '');

async function columnSums(client: Awaited<ReturnType<typeof openClient>>): Promise<Record<string, string>> {
  const sums: Record<string, string> = {};
  const one = async (table: string, columns: string[], final: string) => {
    const sel = columns.map((c) => `toString(sum(cityHash64(toString(${c}))))`).join(', ');
    const rs = await client.query({
      query: `SELECT ${sel} FROM (SELECT DISTINCT ${columns.join(', ')} FROM ${DB}.${table}${final})`,
      format: 'JSONCompactEachRow',
    });
    const [values] = (await rs.json()) as [string[]];
    columns.forEach((c, i) => {
      sums[`${table}.${c}`] = String(values[i]);
    });
  };
  await one('otel_traces', TRACE_COLUMNS, '');
  await one('ai_calls', CALL_COLUMNS, ' FINAL');
  await one('ai_attempts', ATTEMPT_COLUMNS, ' FINAL');
  return sums;
}

async function measure(path: 'rowbinary' | 'otlp', c: Captured): Promise<{ rows: number; cost: number; sums: Record<string, string> }> {
  const server = await startLocalClickHouse({ dataDir: mkdtempSync('/dev/shm/switchyard-otlp-probe-'), port: await freePort() });
  const client = await openClient({ kind: 'http', url: server.url, label: 'probe' });
  try {
    await migrate(client, { database: DB });
    if (path === 'otlp') for (const q of OTLP_DDL) await client.command({ query: q });
    const joined: Buffer[] = [];
    for (let i = 0; i < c.otlp.length; i += join_)
      joined.push(Buffer.concat(c.otlp.slice(i, i + join_).flatMap((b) => [b, Buffer.from('\n')])));
    let token = 0;
    const post = async (url: string, body: Buffer) => {
      const res = await request(url, { method: 'POST', body });
      const text = await res.body.text();
      if (res.statusCode >= 300) throw new Error(`${path}: HTTP ${res.statusCode} ${text.slice(0, 300)}`);
    };
    for (let round = 1; round <= rounds; round++) {
      const cpu0 = cpuSecondsOf(server.pid);
      if (path === 'rowbinary') {
        for (const r of c.rows)
          await post(
            `${server.url}${r.url.replace(/insert_deduplication_token=[^&]*/, `insert_deduplication_token=probe-${++token}`)}`,
            r.body,
          );
      } else {
        const q = encodeURIComponent(`INSERT INTO ${DB}.otlp_in FORMAT JSONEachRow`);
        for (const b of joined) await post(`${server.url}/?${OTLP_SETTINGS}&insert_deduplication_token=probe-${++token}&query=${q}`, b);
      }
      const us = ((cpuSecondsOf(server.pid) - cpu0) * 1e6) / c.calls;
      const inserts = path === 'rowbinary' ? c.rows.length : joined.length;
      process.stdout.write(`${path.padEnd(9)} round ${round}: ${inserts} inserts, ClickHouse CPU ${us.toFixed(1)} µs per call\n`);
    }
    const rs = await client.query({ query: `SELECT count(), sum(cost_usd) FROM ${DB}.ai_calls FINAL`, format: 'JSONCompactEachRow' });
    const [[rows, cost]] = (await rs.json()) as [[number | string, number]];
    process.stdout.write(`${path.padEnd(9)} ai_calls rows ${rows}, sum(cost_usd) ${cost}\n`);
    return { rows: Number(rows), cost, sums: await columnSums(client) };
  } finally {
    await client.close();
    await server.stop();
    rmSync(server.dataDir, { recursive: true, force: true });
  }
}

const work = mkdtempSync(join(tmpdir(), 'switchyard-otlp-probe-'));
try {
  log(`capturing ${seconds} s of non-stream calls from ${buildDir}`);
  const c = await capture(work);
  const bytes = (list: Buffer[]) => list.reduce((a, b) => a + b.length, 0);
  process.stdout.write(
    `${c.calls} calls: OTLP ${c.otlp.length} bodies, ${(bytes(c.otlp) / c.calls).toFixed(0)} bytes per call; ` +
      `RowBinary ${c.rows.length} inserts, ${(bytes(c.rows.map((r) => r.body)) / c.calls).toFixed(0)} bytes per call\n`,
  );
  if (c.rows.length === 0 || c.otlp.length === 0) throw new Error('nothing captured: the sidecar sent no OTLP bodies or no ledger inserts');
  const shipped = await measure('rowbinary', c);
  const fromOtlp = await measure('otlp', c);
  const same =
    shipped.rows === c.calls && fromOtlp.rows === c.calls && Math.abs(shipped.cost - fromOtlp.cost) <= 1e-9 * Math.abs(shipped.cost);
  process.stdout.write(
    same ? 'both paths: one ai_calls row per call, the same sum(cost_usd)\n' : 'MISMATCH between the paths (see above)\n',
  );
  const differ = Object.keys(shipped.sums).filter((k) => shipped.sums[k] !== fromOtlp.sums[k]);
  process.stdout.write(
    differ.length === 0
      ? 'every otel_traces, ai_calls and ai_attempts column the OTLP views write equals the shipped rows\n'
      : `columns that differ from the shipped rows: ${differ.join(', ')}\n`,
  );
  if (!same || differ.length > 0) process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
