import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { APIError } from 'openai';
import { ruleSpecs } from '../../dashboards/src/alerts/rules.js';
import { cacheSavingPerToken, isPricedModel, pricedNames } from '../../dashboards/src/cache-prices.js';
import { CHART_SNAPSHOT_PATH, type ChartSnapshot, CHART_SVG_PATH, chartSql, renderSvg } from '../../dashboards/src/render-cost-chart.js';
import { dashboards } from '../../dashboards/src/generate.js';
import { Expr } from '../../dashboards/src/sql/expr.js';
import { type ExpandContext, expandMacros } from '../../dashboards/src/sql/expand-macros.js';
import { TRACE_ID_VALUE, traceViewSql } from '../../dashboards/src/trace-links.js';
import { VARIABLES } from '../../dashboards/src/variables.js';
import type { CallRecord } from '../../src/core/call-record.js';
import { PRICE_TABLE, resolvePrice } from '../../src/pricing/index.js';
import { migrate } from '../../src/sinks/clickhouse/migrations.js';
import { CLIENT_SETTINGS } from '../../src/sinks/clickhouse/open-client.js';
import type { AiCallRow } from '../../src/sinks/clickhouse/rows/ai-call-row.js';
import { parseClickHouseSettings } from '../../src/sinks/clickhouse/settings.js';
import { type ClickHouseSink, createClickHouseSink } from '../../src/sinks/clickhouse/sink.js';
import { startClickHouseServer, type TestClickHouseServer } from '../support/clickhouse-server.js';
import { loadFixture, seededRandom } from '../support/fixtures.js';
import { jsonReply, type MockUpstream, type Reply, startMockUpstream } from '../support/mock-upstream.js';
import { startSidecar, type TestSidecar } from '../support/sidecar.js';

/**
 * Every panel's and alert rule's SQL, macros expanded the way the Grafana ClickHouse plugin does,
 * runs on a real ClickHouse whose ledger was written by REAL SIDECAR TRAFFIC: three in-process
 * sidecars (three namespaces/workloads) with the real ClickHouse sink and span exporter, four
 * mock providers replaying recorded fixtures, scripted 429s, 500s, 503s, resets, 400s and cut
 * streams, driven with the official openai SDK. Each query must return exactly what an
 * independent computation over the ledger rows says, under "All" and under a selection; the
 * ledger rows must first agree, field by field, with the CallRecords the sidecars produced.
 */
type Row = Record<string, unknown>;
type Ctx = ExpandContext;

// ---- the traffic: real sidecars, recorded provider bytes, scripted faults -----------------------
type Upstream = 'openai' | 'deepseek' | 'glm' | 'mistral';
const UPSTREAMS: readonly Upstream[] = ['openai', 'deepseek', 'glm', 'mistral'];
const FEATURE_TARGETS: Record<string, { targets: [Upstream, string][]; streamOnly?: boolean }> = {
  'support-chat': {
    targets: [
      ['openai', 'gpt-4o-mini'],
      ['deepseek', 'deepseek-chat'],
    ],
  },
  coding: {
    targets: [
      ['openai', 'gpt-4.1'],
      ['glm', 'glm-4.7'],
    ],
  },
  search: { targets: [['deepseek', 'deepseek-chat']] },
  // mistral-tiny is not in the bundled price table: cost_usd NULL (unpriced calls).
  'background-jobs': {
    targets: [
      ['mistral', 'mistral-tiny'],
      ['openai', 'gpt-4o-mini'],
    ],
    streamOnly: true,
  },
};
/** Which workload (sidecar) sends which features, as [namespace, deployment, features]. */
const WORKLOADS = [
  ['shop', 'support-api', ['support-chat', 'search']],
  ['platform', 'review-bot', ['coding', 'search']],
  ['batch', 'nightly-jobs', ['background-jobs', 'support-chat']],
] as const;

function trafficYaml(urls: Record<Upstream, string>): string {
  const features = Object.entries(FEATURE_TARGETS)
    .map(
      ([name, f]) =>
        `  ${name}:\n    targets:\n${f.targets.map(([p, m]) => `      - { provider: ${p}, model: ${m} }`).join('\n')}\n` +
        '    retry: { max_attempts: 2, initial_backoff_ms: 1, max_backoff_ms: 5 }\n    timeout_ms: 3000',
    )
    .join('\n');
  return `server: { listen: 127.0.0.1:0, health_listen: 127.0.0.1:0 }
providers:
${UPSTREAMS.map((u) => `  ${u}: { preset: ${u}, base_url: ${urls[u]}, api_key: sk-test-${u}-0001 }`).join('\n')}
features:
${features}
default_feature: support-chat
telemetry: { service_name: switchyard, capture_content: false, clickhouse: false }
`;
}

const replay = (name: string, chunkSize?: number): Reply => {
  const f = loadFixture(name);
  return { kind: 'bytes', status: f.status, contentType: f.contentType, body: f.body, ...(chunkSize ? { chunkSize } : {}) };
};
function success(up: Upstream, stream: boolean, i: number): Reply {
  switch (up) {
    case 'openai':
      if (stream) return replay(i % 2 ? 'openai/chat-stream-parallel-tool-calls-usage' : 'openai/chat-stream-include-usage-reasoning', 97);
      return replay(i % 3 === 0 ? 'openai/chat-completion-cached-tokens' : 'openai/chat-completion-tool-calls');
    case 'deepseek':
      return stream ? replay('deepseek/chat-stream-usage', 97) : replay('deepseek/chat-completion-reasoning');
    case 'glm':
      return stream ? replay('glm/chat-stream-thinking-usage', 97) : replay('glm/chat-completion');
    case 'mistral':
      return replay('mistral/chat-stream-text-usage', 97);
  }
}
const r429 = () => jsonReply(429, { error: { message: 'slow down', type: 'rate_limit_error' } }, { 'retry-after': '0' });
const r500 = () => jsonReply(500, { error: { message: 'boom', type: 'server_error' } });
const r503 = () => jsonReply(503, { error: { message: 'overloaded', type: 'server_error' } });
function cutStream(up: Upstream, i: number): Reply {
  const ok = success(up, true, i);
  if (ok.kind !== 'bytes') throw new Error('a stream fixture');
  return { kind: 'cut', status: 200, contentType: ok.contentType, body: ok.body, bytes: ok.body.indexOf('\n\n', 200) + 2 };
}

type Kind = 'ok' | 'retry' | 'fallback' | 'reset-fallback' | 'fail' | 'bad-request' | 'cut';
/** The replies each upstream gives this call, in order (retries: 2 attempts per target). */
function script(feature: string, kind: Kind, stream: boolean, i: number): [Upstream, Reply[]][] {
  const [primary, backup] = (FEATURE_TARGETS[feature]?.targets ?? []).map(([u]) => u);
  if (!primary) throw new Error(feature);
  switch (kind) {
    case 'ok':
      return [[primary, [success(primary, stream, i)]]];
    case 'retry':
      return [[primary, [r429(), success(primary, stream, i)]]];
    case 'fallback':
    case 'reset-fallback': {
      const fault = (): Reply => (kind === 'fallback' ? r500() : { kind: 'reset' });
      if (!backup) return [[primary, [fault(), success(primary, stream, i)]]];
      return [
        [primary, [fault(), fault()]],
        [backup, [success(backup, stream, i)]],
      ];
    }
    case 'fail':
      return [[primary, [r503(), r503()]], ...(backup ? ([[backup, [r503(), r503()]]] as [Upstream, Reply[]][]) : [])];
    case 'bad-request':
      return [[primary, [replay('openai/error-400-unsupported-parameter')]]];
    case 'cut':
      return [[primary, [cutStream(primary, i)]]];
  }
}

interface Plan {
  workload: number;
  feature: string;
  stream: boolean;
  kind: Kind;
}
/** `n` calls; `primaryFailure` is the share whose primary target fails (fallback or total failure). */
function plan(random: () => number, n: number, opts: { primaryFailure: number; burstFeature?: string }): Plan[] {
  const out: Plan[] = [];
  for (let i = 0; i < n; i++) {
    const workload = opts.burstFeature && i % 2 === 0 ? 0 : Math.floor(random() * WORKLOADS.length);
    const features = WORKLOADS[workload]?.[2] ?? [];
    const feature = opts.burstFeature && i % 2 === 0 ? opts.burstFeature : (features[Math.floor(random() * features.length)] as string);
    const spec = FEATURE_TARGETS[feature];
    const stream = spec?.streamOnly === true || random() < 0.4;
    const hasBackup = (spec?.targets.length ?? 0) > 1;
    const primaryFailure = opts.burstFeature === feature ? opts.primaryFailure : 0.08;
    const x = random();
    let kind: Kind = 'ok';
    if (x < primaryFailure) kind = random() < 0.25 ? 'fail' : random() < 0.7 ? 'fallback' : 'reset-fallback';
    else if (x < primaryFailure + 0.08) kind = 'retry';
    else if (x < primaryFailure + 0.1)
      kind = stream ? 'cut' : FEATURE_TARGETS[feature]?.targets[0]?.[0] === 'openai' ? 'bad-request' : 'ok';
    if (!hasBackup && (kind === 'fallback' || kind === 'reset-fallback')) kind = 'retry';
    out.push({ workload, feature, stream, kind });
  }
  return out;
}

const MESSAGES = [{ role: 'user' as const, content: 'Summarise the ticket in one line.' }];

async function drive(
  sidecars: TestSidecar[],
  upstreams: Record<Upstream, MockUpstream>,
  calls: Plan[],
  counter: { i: number; scripted: Record<string, number> },
) {
  for (const c of calls) {
    const i = counter.i++;
    for (const [up, replies] of script(c.feature, c.kind, c.stream, i)) {
      upstreams[up].enqueue(...replies);
      counter.scripted[up] = (counter.scripted[up] ?? 0) + replies.length;
    }
    const client = (sidecars[c.workload] as TestSidecar).openai({ feature: c.feature });
    try {
      if (c.stream) {
        const stream = await client.chat.completions.create({ model: 'x', stream: true, messages: MESSAGES });
        for await (const _ of stream);
      } else {
        await client.chat.completions.create({ model: 'x', messages: MESSAGES });
      }
      assert.ok(['ok', 'retry', 'fallback', 'reset-fallback'].includes(c.kind), `call ${i} (${c.kind}) should have failed`);
    } catch (err) {
      assert.ok(err instanceof APIError, `call ${i}: ${String(err)}`);
      assert.ok(['fail', 'bad-request', 'cut'].includes(c.kind), `call ${i} (${c.kind}) failed: ${err.message}`);
    }
  }
}

const sleepUntil = async (ms: number) => {
  while (Date.now() < ms) await new Promise((r) => setTimeout(r, Math.max(1, ms - Date.now())));
};
const nextSecond = () => (Math.floor(Date.now() / 1000) + 1) * 1000;

// ---- an independent reference over the ledger rows --------------------------------------------
const ms = (ts: string) => Date.parse(`${ts.replace(' ', 'T')}Z`);
const chTime = (epochSec: number) => new Date(epochSec * 1000).toISOString().slice(0, 19).replace('T', ' ');
const cost = (r: AiCallRow) => r.cost_usd ?? 0;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const ratio = (a: number, b: number) => (b === 0 ? null : a / b);
/** ClickHouse `quantile` on these sizes: linear interpolation between order statistics. */
function quantile(p: number, xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = p * (s.length - 1);
  const lo = Math.floor(pos);
  const a = s[lo] as number;
  const b = s[Math.min(lo + 1, s.length - 1)] as number;
  return a + (pos - lo) * (b - a);
}
const cmp = (a: unknown, b: unknown) => (a === b ? 0 : (a as string) < (b as string) ? -1 : 1);
function groupBy<K extends Row>(rows: AiCallRow[], key: (r: AiCallRow) => K): [K, AiCallRow[]][] {
  const m = new Map<string, [K, AiCallRow[]]>();
  for (const r of rows) {
    const k = key(r);
    const id = JSON.stringify(k);
    const entry = m.get(id) ?? [k, []];
    entry[1].push(r);
    m.set(id, entry);
  }
  return [...m.values()];
}
function sortBy<T extends Row>(rows: T[], keys: [string, 'ASC' | 'DESC'][]): T[] {
  return [...rows].sort((a, b) => {
    for (const [k, dir] of keys) {
      const d = typeof a[k] === 'number' ? (a[k] as number) - (b[k] as number) : cmp(a[k], b[k]);
      if (d !== 0) return dir === 'ASC' ? d : -d;
    }
    return 0;
  });
}
/** `$__timeFilter(ts)`: ts >= toDateTime(from) AND ts <= toDateTime(to), both whole seconds. */
const inRange = (tsMs: number, ctx: Ctx) =>
  tsMs >= Math.floor(ctx.from.getTime() / 1000) * 1000 && tsMs <= Math.floor(ctx.to.getTime() / 1000) * 1000;
function inCtx(rows: AiCallRow[], ctx: Ctx): AiCallRow[] {
  return rows.filter((r) => {
    if (!inRange(ms(r.ts), ctx)) return false;
    return VARIABLES.every((v) => {
      const sel = ctx.variables[v.name];
      return sel === undefined || sel === 'All' || sel.includes(String(r[v.column]));
    });
  });
}
const bucket = (r: AiCallRow, ctx: Ctx) => chTime(Math.floor(ms(r.ts) / 1000 / ctx.intervalSeconds) * ctx.intervalSeconds);
const model = (r: AiCallRow) => `${r.final_provider}/${r.final_model}`;
const workload = (r: AiCallRow) => `${r.namespace}/${r.workload}`;
/** The bundled price table, as the sidecar resolves it (no config overrides). */
const tablePrice = (r: AiCallRow) => resolvePrice({ provider: r.final_provider, model: r.final_model });
const savingPerToken = (r: AiCallRow) => {
  const p = tablePrice(r);
  return p ? (p.input - p.cachedInput) / 1e6 : 0;
};
const savings = (r: AiCallRow) => r.cache_read_tokens * savingPerToken(r);
const fellBack = (r: AiCallRow) => r.fallback_path.length > 1;
const isError = (r: AiCallRow) => r.outcome === 'error';

function perInterval(
  rows: AiCallRow[],
  ctx: Ctx,
  label: string,
  by: (r: AiCallRow) => string,
  value: string,
  agg: (g: AiCallRow[]) => number | null,
) {
  const groups = groupBy(rows, (r) => ({ time: bucket(r, ctx), [label]: by(r) }));
  return sortBy(
    groups.map(([k, g]) => ({ ...k, [value]: agg(g) })),
    [
      ['time', 'ASC'],
      [label, 'ASC'],
    ],
  );
}
const callColumns = (r: AiCallRow) => ({
  time: r.ts,
  feature: r.feature,
  model: model(r),
  latency_ms: r.latency_ms,
  attempts: r.attempt_count,
  fallback_chain: r.fallback_path_str,
  trace_id: r.trace_id,
});

type Expect = (rows: AiCallRow[], ctx: Ctx) => Row[];
const spend = (g: AiCallRow[]) => sum(g.map(cost));
const errorShare = (g: AiCallRow[]) => g.filter(isError).length / g.length;
const byFeature = (r: AiCallRow) => r.feature;
const latencies = (g: AiCallRow[]) => g.map((r) => r.latency_ms);
const byProvider = (r: AiCallRow) => r.final_provider;
const PANELS: Record<string, Expect> = {
  // Cost
  Spend: (rs) => [{ spend_usd: sum(rs.map(cost)) }],
  Calls: (rs) => [{ calls: rs.length }],
  'Cost per 1k calls': (rs) => [{ usd_per_1k_calls: rs.length ? (1000 * sum(rs.map(cost))) / rs.length : null }],
  'Cache savings': (rs) => [{ saved_usd: sum(rs.map(savings)) }],
  'Unpriced calls': (rs) => [{ unpriced_calls: rs.filter((r) => r.cost_usd === null).length }],
  'Spend per feature': (rs, c) => perInterval(rs, c, 'feature', byFeature, 'spend_usd', spend),
  'Spend per model': (rs, c) => perInterval(rs, c, 'model', model, 'spend_usd', spend),
  'Spend per provider': (rs, c) => perInterval(rs, c, 'provider', byProvider, 'spend_usd', spend),
  'Spend per workload': (rs, c) => perInterval(rs, c, 'ns_workload', workload, 'spend_usd', spend),
  'Cost per 1k calls per feature': (rs, c) =>
    perInterval(rs, c, 'feature', byFeature, 'usd_per_1k_calls', (g) => (1000 * sum(g.map(cost))) / g.length),
  'Top spenders': (rs) => {
    const total = sum(rs.map(cost));
    const out = groupBy(rs, (r) => ({ feature: r.feature, ns_workload: workload(r) })).map(([k, g]) => ({
      ...k,
      calls: g.length,
      spend_usd: sum(g.map(cost)),
      share: ratio(sum(g.map(cost)), total),
    }));
    return sortBy(out, [
      ['spend_usd', 'DESC'],
      ['feature', 'ASC'],
      ['ns_workload', 'ASC'],
    ]).slice(0, 20);
  },
  'Cache savings per model': (rs) => {
    const out = groupBy(
      rs.filter((r) => r.cache_read_tokens > 0),
      (r) => ({ model: model(r), priced: tablePrice(r) !== undefined }),
    ).map(([k, g]) => ({
      model: k.model,
      cached_tokens: sum(g.map((r) => r.cache_read_tokens)),
      saved_usd: sum(g.map(savings)),
      priced: k.priced,
    }));
    return sortBy(out, [
      ['saved_usd', 'DESC'],
      ['model', 'ASC'],
    ]);
  },
  // Reliability
  'Error rate': (rs) => [{ error_rate: ratio(rs.filter(isError).length, rs.length) }],
  'Retry rate': (rs) => [{ retry_rate: ratio(rs.filter((r) => r.retry_count > 0).length, rs.length) }],
  'Fallback rate': (rs) => [{ fallback_rate: ratio(rs.filter(fellBack).length, rs.length) }],
  'p95 latency': (rs) => [
    {
      p95_ms: quantile(
        0.95,
        rs.map((r) => r.latency_ms),
      ),
    },
  ],
  'Calls per feature': (rs, c) => perInterval(rs, c, 'feature', byFeature, 'calls', (g) => g.length),
  'Error rate per provider': (rs, c) => perInterval(rs, c, 'provider', byProvider, 'error_rate', errorShare),
  'Error rate per feature': (rs, c) => perInterval(rs, c, 'feature', byFeature, 'error_rate', errorShare),
  'Retry and fallback rates': (rs, c) =>
    sortBy(
      groupBy(rs, (r) => ({ time: bucket(r, c) })).map(([k, g]) => ({
        ...k,
        retry_rate: g.filter((r) => r.retry_count > 0).length / g.length,
        fallback_rate: g.filter(fellBack).length / g.length,
      })),
      [['time', 'ASC']],
    ),
  'p95 latency per provider': (rs, c) => perInterval(rs, c, 'provider', byProvider, 'p95_ms', (g) => quantile(0.95, latencies(g))),
  'Time to first token (streamed calls)': (rs, c) =>
    sortBy(
      groupBy(
        rs.filter((r) => r.streamed && r.ttfc_ms !== null),
        (r) => ({ time: bucket(r, c) }),
      ).map(([k, g]) => ({
        ...k,
        ttft_p50_ms: quantile(
          0.5,
          g.map((r) => r.ttfc_ms as number),
        ),
        ttft_p95_ms: quantile(
          0.95,
          g.map((r) => r.ttfc_ms as number),
        ),
      })),
      [['time', 'ASC']],
    ),
  'Latency per feature and provider': (rs) =>
    sortBy(
      groupBy(rs, (r) => ({ feature: r.feature, provider: r.final_provider })).map(([k, g]) => ({
        ...k,
        calls: g.length,
        error_rate: errorShare(g),
        p50_ms: quantile(0.5, latencies(g)),
        p95_ms: quantile(0.95, latencies(g)),
        p99_ms: quantile(0.99, latencies(g)),
        overhead_p95_ms: quantile(
          0.95,
          g.map((r) => r.overhead_ms),
        ),
      })),
      [
        ['feature', 'ASC'],
        ['provider', 'ASC'],
      ],
    ),
  'Fallback paths that saved calls': (rs) =>
    sortBy(
      groupBy(
        rs.filter((r) => fellBack(r) && r.outcome === 'ok'),
        (r) => ({ fallback_chain: r.fallback_path_str }),
      ).map(([k, g]) => ({
        ...k,
        saved_calls: g.length,
        features: [...new Set(g.map((r) => r.feature))].sort().join(', '),
        p95_ms: quantile(0.95, latencies(g)),
      })),
      [
        ['saved_calls', 'DESC'],
        ['fallback_chain', 'ASC'],
      ],
    ),
  'Errors by type': (rs) =>
    sortBy(
      groupBy(rs.filter(isError), (r) => ({ error_type: r.error_type, provider: r.final_provider, http_status: r.http_status })).map(
        ([k, g]) => ({ ...k, calls: g.length }),
      ),
      [
        ['calls', 'DESC'],
        ['error_type', 'ASC'],
        ['provider', 'ASC'],
        ['http_status', 'ASC'],
      ],
    ),
  // Traces
  'Slowest calls': (rs) =>
    sortBy(
      rs.map((r) => ({ ...callColumns(r), outcome: r.outcome })),
      [
        ['latency_ms', 'DESC'],
        ['trace_id', 'ASC'],
      ],
    ).slice(0, 50),
  'Failed calls': (rs) =>
    sortBy(
      rs.filter(isError).map((r) => ({ ...callColumns(r), error_type: r.error_type, http_status: r.http_status })),
      [
        ['time', 'DESC'],
        ['trace_id', 'ASC'],
      ],
    ).slice(0, 50),
};

/** Panels over otel_traces: computed from the spans the sidecars' tracer providers ended (in memory). */
const STATUS = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];
const spanStartMs = (s: ReadableSpan) => s.startTime[0] * 1000 + s.startTime[1] / 1e6;
const spanNs = (s: ReadableSpan) => (s.endTime[0] - s.startTime[0]) * 1e9 + (s.endTime[1] - s.startTime[1]);
function expectedSpans(spans: ReadableSpan[], ctx: Ctx): Row[] {
  const out = spans
    .filter((s) => s.kind === 1 /* SERVER */ && inRange(spanStartMs(s), ctx))
    .map((s) => ({
      time: `${chTime(s.startTime[0])}.${String(s.startTime[1]).padStart(9, '0')}`,
      service: String(s.resource.attributes['service.name']),
      span: s.name,
      feature: String(s.attributes['switchyard.feature'] ?? ''),
      duration_ms: spanNs(s) / 1e6,
      status: STATUS[s.status.code],
      trace_id: s.spanContext().traceId,
    }));
  return sortBy(out, [
    ['duration_ms', 'DESC'],
    ['trace_id', 'ASC'],
  ]).slice(0, 50);
}

/** The ledger row a CallRecord should become (written here, not taken from the sink's mapper). */
function rowOf(r: CallRecord): AiCallRow {
  return {
    call_id: r.callId,
    ts: new Date(r.startedAtMs).toISOString().slice(0, 23).replace('T', ' '),
    trace_id: r.traceId,
    span_id: r.spanId,
    feature: r.feature,
    route: r.route,
    operation: r.operation,
    path: r.path,
    streamed: r.streamed,
    requested_model: r.requestedModel,
    final_provider: r.finalProvider,
    final_model: r.finalModel,
    outcome: r.outcome,
    error_type: r.errorType ?? '',
    http_status: r.httpStatus,
    attempt_count: r.attemptCount,
    retry_count: r.retryCount,
    fallback_path: r.fallbackPath,
    fallback_path_str: r.fallbackPath.join('>'),
    latency_ms: r.latencyMs,
    ttfc_ms: r.timeToFirstChunkMs ?? null,
    overhead_ms: r.overheadMs,
    input_tokens: r.usage.inputTokens ?? 0,
    output_tokens: r.usage.outputTokens ?? 0,
    cache_read_tokens: r.usage.cacheReadTokens ?? 0,
    cache_write_tokens: r.usage.cacheWriteTokens ?? 0,
    reasoning_tokens: r.usage.reasoningTokens ?? 0,
    cost_usd: r.costUsd,
    price_table_version: r.priceTableVersion,
    config_hash: r.configHash,
    service: r.resource.service,
    namespace: r.resource.namespace,
    pod: r.resource.pod,
    workload: r.resource.workload,
  };
}

// ---- comparison ----------------------------------------------------------------------------------
function normalize(rows: Row[]): Row[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toPrecision(9)) : v])));
}
const byCallId = (a: AiCallRow, b: AiCallRow) => cmp(a.call_id, b.call_id);

describe('dashboard and alert SQL on a real ClickHouse fed by real sidecar traffic', () => {
  let server: TestClickHouseServer;
  let client: ClickHouseClient;
  const upstreams = {} as Record<Upstream, MockUpstream>;
  const sidecars: TestSidecar[] = [];
  const sinks: ClickHouseSink[] = [];
  const memory = new InMemorySpanExporter();
  const spoolDirs: string[] = [];
  const counter = { i: 0, scripted: {} as Record<string, number> };
  let ledger: AiCallRow[];
  let spans: ReadableSpan[];
  let RANGE_FROM: number;
  let BURST_START: number;
  let END: number;
  let ALL: Ctx;
  let SELECTION: Ctx;
  let ran = 0;

  async function run(sql: string, ctx: Ctx): Promise<Row[]> {
    const rs = await client.query({ query: expandMacros(sql, ctx), format: 'JSONEachRow' });
    ran++;
    return rs.json<Row>();
  }

  before(async () => {
    server = await startClickHouseServer();
    client = createClient({ url: server.url, clickhouse_settings: CLIENT_SETTINGS });
    for (const u of UPSTREAMS) upstreams[u] = await startMockUpstream();
    const yaml = trafficYaml(Object.fromEntries(UPSTREAMS.map((u) => [u, upstreams[u].baseUrl])) as Record<Upstream, string>);
    for (const [namespace, deployment] of WORKLOADS) {
      const dir = mkdtempSync(join(tmpdir(), 'switchyard-dash-spool-'));
      spoolDirs.push(dir);
      const sink = await createClickHouseSink(
        parseClickHouseSettings({ url: server.url, database: 'switchyard', batch: { max_delay_ms: 50 }, spool: { dir } }),
        { log: () => {}, env: {} },
      );
      sinks.push(sink);
      sidecars.push(
        await startSidecar({
          yaml,
          sinks: [sink],
          extraSpanProcessors: [new SimpleSpanProcessor(sink.spanExporter), new SimpleSpanProcessor(memory)],
          resourceAttributes: {
            'service.name': 'switchyard',
            'k8s.namespace.name': namespace,
            'k8s.deployment.name': deployment,
            'k8s.pod.name': `${deployment}-7d9f-x1`,
          },
        }),
      );
    }
    const random = seededRandom(42);
    // Before the dashboards' time range: these must be filtered out.
    await drive(sidecars, upstreams, plan(random, 12, { primaryFailure: 0.08 }), counter);
    RANGE_FROM = nextSecond();
    await sleepUntil(RANGE_FROM);
    await drive(sidecars, upstreams, plan(random, 260, { primaryFailure: 0.08 }), counter);
    // A burst: support-chat's primary (openai) fails most calls (fallback spike, error rate).
    BURST_START = nextSecond();
    await sleepUntil(BURST_START);
    await drive(sidecars, upstreams, plan(random, 90, { primaryFailure: 0.7, burstFeature: 'support-chat' }), counter);
    END = nextSecond() + 1000;
    await sleepUntil(END);
    await new Promise((r) => setTimeout(r, 50)); // spans end just after the response
    for (const s of sinks) await s.flush();
    ledger = await (await client.query({ query: 'SELECT * FROM switchyard.ai_calls', format: 'JSONEachRow' })).json<AiCallRow>();
    spans = memory.getFinishedSpans();
    ALL = {
      from: new Date(RANGE_FROM),
      to: new Date(END),
      intervalSeconds: 1,
      variables: { feature: 'All', provider: 'All', model: 'All', namespace: 'All' },
    };
    SELECTION = {
      ...ALL,
      variables: { feature: ['support-chat', 'coding'], provider: 'All', model: 'All', namespace: ['shop', 'platform'] },
    };
  });
  after(async () => {
    for (const sc of sidecars) await sc.close();
    await Promise.all(UPSTREAMS.map((u) => upstreams[u]?.close()));
    await client?.close();
    await server?.dispose();
    for (const d of spoolDirs) rmSync(d, { recursive: true, force: true });
  });

  test('the ledger is the traffic: every call the sidecars recorded landed once, field by field', async () => {
    const records = sidecars.flatMap((sc) => sc.records);
    assert.equal(records.length, counter.i, 'one CallRecord per SDK call');
    assert.deepEqual([...ledger].sort(byCallId), records.map(rowOf).sort(byCallId));
    for (const u of UPSTREAMS)
      assert.equal(upstreams[u].requests.length, counter.scripted[u] ?? 0, `${u}: every scripted reply was used, no more`);
    const [row] = await run('SELECT count() AS n, uniqExact(call_id) AS ids FROM switchyard.ai_calls', ALL);
    assert.deepEqual(row, { n: counter.i, ids: counter.i });
    assert.ok(inCtx(ledger, ALL).length < ledger.length, 'some rows lie outside the time range');
    // The traffic has what every panel needs.
    const seen = (p: (r: AiCallRow) => boolean) => ledger.filter(p).length;
    assert.ok(seen((r) => r.retry_count > 0) > 10, 'retries');
    assert.ok(seen((r) => fellBack(r) && r.outcome === 'ok') > 10, 'fallbacks that saved calls');
    assert.ok(seen(isError) > 10, 'failed calls');
    assert.ok(seen((r) => r.streamed && r.ttfc_ms !== null) > 10, 'streams with a first chunk');
    assert.ok(seen((r) => r.cache_read_tokens > 0) > 5, 'cache reads');
    assert.ok(seen((r) => r.cost_usd === null && r.outcome === 'ok') > 5, 'unpriced calls (mistral-tiny)');
    assert.deepEqual([...new Set(ledger.map(workload))].sort(), ['batch/nightly-jobs', 'platform/review-bot', 'shop/support-api']);
    const servers = await run("SELECT count() AS n FROM switchyard.otel_traces WHERE SpanKind = 'SPAN_KIND_SERVER'", ALL);
    assert.deepEqual(servers, [{ n: spans.filter((s) => s.kind === 1).length }], 'every SERVER span reached otel_traces');
    assert.equal(spans.filter((s) => s.kind === 1).length, counter.i);
  });

  for (const label of ['All', 'a selection'] as const) {
    test(`every panel returns the expected numbers (variables: ${label})`, async () => {
      const ctx = label === 'All' ? ALL : SELECTION;
      let checked = 0;
      const used = new Set<string>();
      for (const [board, json] of Object.entries(dashboards())) {
        for (const panel of json.panels ?? []) {
          if (panel.type === 'row' || !('targets' in panel)) continue;
          const title = panel.title ?? '';
          for (const target of panel.targets ?? []) {
            const rawSql = (target as { rawSql?: string }).rawSql;
            assert.ok(rawSql, `${board} / ${title}: a ClickHouse SQL target`);
            const actual = await run(rawSql, ctx);
            const expected = rawSql.includes('otel_traces') ? expectedSpans(spans, ctx) : PANELS[title]?.(inCtx(ledger, ctx), ctx);
            assert.ok(expected, `${board} / ${title}: no expectation written for this panel`);
            assert.ok(expected.length > 0, `${board} / ${title}: the traffic exercises this panel`);
            assert.deepEqual(normalize(actual), normalize(expected), `${board} / ${title} (${label})`);
            used.add(title);
            checked++;
          }
        }
      }
      assert.equal(checked, 29, 'every query of every panel ran (Calls is on two dashboards)');
      assert.deepEqual([...used].sort(), [...Object.keys(PANELS), 'Gateway spans (otel_traces)'].sort(), 'no expectation left unused');
    });
  }

  test('variable queries list the values in the time range', async () => {
    const board = dashboards().cost;
    for (const v of VARIABLES) {
      const variable = board.templating?.list?.find((x) => x.name === v.name);
      assert.ok(variable && typeof variable.query === 'string', v.name);
      const actual = (await run(variable.query, ALL)).map((r) => r.value);
      const expected = [...new Set(inCtx(ledger, ALL).map((r) => String(r[v.column])))].sort();
      assert.deepEqual(actual, expected, v.name);
      assert.ok(expected.length >= 2, `${v.name} has a choice to make`);
    }
  });

  test('the trace links open the whole trace from otel_traces', async () => {
    const board = dashboards().traces;
    const slowest = board.panels?.find((p) => p.title === 'Slowest calls');
    const links = JSON.stringify(slowest);
    assert.ok(links.includes('switchyard-jaeger') && links.includes('"format":3'), 'Jaeger and ClickHouse trace links');
    // A call that retried and fell back: one SERVER span and several CLIENT spans.
    const call = ledger.find((r) => fellBack(r) && r.retry_count > 0 && r.outcome === 'ok');
    assert.ok(call, 'a retried fallback call');
    const rows = await run(traceViewSql(TRACE_ID_VALUE).sql, { ...ALL, linkValues: { '__value.raw': call.trace_id } });
    const mine = spans.filter((s) => s.spanContext().traceId === call.trace_id);
    assert.equal(rows.length, mine.length);
    assert.equal(rows.length, 1 + call.attempt_count, 'the SERVER span and one CLIENT span per attempt');
    assert.deepEqual(
      rows.map((r) => [r.traceID, r.spanID, r.parentSpanID, r.operationName, r.serviceName]).sort(),
      mine.map((s) => [s.spanContext().traceId, s.spanContext().spanId, s.parentSpanContext?.spanId ?? '', s.name, 'switchyard']).sort(),
    );
    const root = rows.find((r) => r.parentSpanID === '');
    assert.equal(root?.duration, spanNs(mine.find((s) => s.kind === 1) as ReadableSpan) / 1e6);
  });

  /** Each ClickHouse rule at evaluation time `now`, against the reference over `rows`. */
  async function checkRules(
    rows: AiCallRow[],
    budgets: Parameters<typeof ruleSpecs>[0],
    nowFor: (uid: string) => number,
    db = 'switchyard',
  ) {
    const fired: string[] = [];
    for (const spec of ruleSpecs(budgets)) {
      if (spec.source.kind !== 'clickhouse') continue;
      const now = nowFor(spec.uid);
      const ctx: Ctx = { from: new Date(now - spec.rangeSeconds * 1000), to: new Date(now), intervalSeconds: 60, variables: {} };
      const sql = spec.source.sql.sql.replaceAll('switchyard.', `${db}.`);
      const actual = normalize(await run(sql, ctx));
      const expected = normalize(expectedRule(spec.uid, inCtx(rows, ctx), new Date(now)));
      assert.deepEqual(actual, expected, `${spec.title} at ${new Date(now).toISOString()} (${db})`);
      for (const row of actual) {
        const value = Object.values(row).find((v) => typeof v === 'number') as number;
        const labels = Object.values(row).filter((v) => typeof v === 'string');
        if (value > spec.above) fired.push([spec.uid, ...labels].join(':'));
      }
    }
    return fired.sort();
  }

  test('every ClickHouse alert rule returns the expected values and fires exactly where the threshold says', async () => {
    const spend = (f: string) =>
      sum(
        inCtx(ledger, { ...ALL, from: new Date(END - 3600_000) })
          .filter((r) => r.feature === f)
          .map(cost),
      );
    // Budgets set around what the traffic spent, so one fires and one does not.
    const budgets = [
      { feature: 'support-chat', usdPerHour: spend('support-chat') * 0.9, usdPerDay: spend('support-chat') * 1.1 },
      { feature: 'coding', usdPerDay: spend('coding') * 1.5 },
    ];
    assert.ok(spend('support-chat') > 0 && spend('coding') > 0);
    // The fallback spike is judged at the end of its recent window: 15 min after the burst began.
    const fired = await checkRules(ledger, budgets, (uid) => (uid === 'sy-fallback-spike' ? BURST_START + 900_000 : END));
    assert.deepEqual(fired, ['sy-budget-hour-support-chat', 'sy-error-rate-provider:deepseek', 'sy-fallback-spike:support-chat']);
    // Two hours later the traffic is whole rollup hours for the daily budget, and out of every short window.
    const later = await checkRules(ledger, budgets, () => END + 2 * 3600_000);
    assert.deepEqual(later, []);
  });

  test('rules that read the hourly rollup add whole hours and ledger edges exactly (steady traffic moved two hours back)', async () => {
    // The same real rows in a second database, the calls before the burst two hours earlier, so the
    // budget and fallback-baseline windows hold whole hours that only ai_calls_hourly answers.
    await migrate(client, { database: 'shifted' });
    await client.command({
      query: `INSERT INTO shifted.ai_calls SELECT * REPLACE (if(ts < fromUnixTimestamp64Milli(${BURST_START}), ts - INTERVAL 2 HOUR, ts) AS ts) FROM switchyard.ai_calls`,
    });
    const shift = (r: AiCallRow): AiCallRow => {
      const t = ms(r.ts);
      return t < BURST_START ? { ...r, ts: new Date(t - 7200_000).toISOString().slice(0, 23).replace('T', ' ') } : r;
    };
    const rows = ledger.map(shift);
    const [rollup] = await run(
      'SELECT sum(calls) AS calls FROM shifted.ai_calls_hourly WHERE hour < toStartOfHour(fromUnixTimestamp64Milli(' +
        BURST_START +
        "), 'UTC')",
      ALL,
    );
    assert.equal(rollup?.calls, rows.filter((r) => ms(r.ts) < BURST_START).length, 'the moved calls are in the rollup');
    const budgets = [
      { feature: 'support-chat', usdPerDay: 1e9 },
      { feature: 'coding', usdPerDay: 1e9 },
    ];
    const fired = await checkRules(rows, budgets, (uid) => (uid === 'sy-fallback-spike' ? BURST_START + 900_000 : END), 'shifted');
    assert.ok(fired.includes('sy-fallback-spike:support-chat'), 'the spike against a baseline read from the rollup');
  });

  test('cache savings use the bundled price table, matched as the sidecar matches models', async () => {
    const names = [
      ...PRICE_TABLE.flatMap((e) => [e.model, ...(e.aliases ?? [])]),
      'gpt-4o-mini-2024-07-18',
      'GPT-4o-mini',
      'gpt-4o-2024-05-13',
      'gpt-4o-2024-08-06',
      'o3-pro',
      'gpt-4o-mini-search-preview',
      'mistral-tiny',
      'sim-fast',
    ];
    const list = new Expr(names.map((n) => `'${n}'`).join(', '));
    const rows = await run(
      `SELECT m, ${cacheSavingPerToken(new Expr('m')).sql} AS saving, ${isPricedModel(new Expr('m')).sql} AS priced FROM (SELECT arrayJoin([${list.sql}]) AS m)`,
      ALL,
    );
    assert.equal(rows.length, names.length);
    for (const r of rows) {
      const p = resolvePrice({ provider: 'any', model: String(r.m) });
      assert.equal(Boolean(r.priced), p !== undefined, `${r.m}: priced`);
      assert.equal(Number(r.saving), p ? Number(((p.input - p.cachedInput) / 1e6).toPrecision(12)) : 0, `${r.m}: saving per token`);
    }
    assert.equal(new Set(pricedNames().map((p) => p.name)).size, pricedNames().length, 'each name once');
  });

  test('docs/images/cost-per-feature.svg renders the committed demo snapshot, which is what the panel SQL returns over it', async () => {
    const snapshot = JSON.parse(readFileSync(CHART_SNAPSHOT_PATH, 'utf8')) as ChartSnapshot;
    assert.ok(snapshot.ledger.length > 100 && snapshot.rows.length > 5, 'a real demo run');
    assert.ok(
      snapshot.ledger.every((r) => r.final_provider === 'local-simulator'),
      'made on the local simulator',
    );
    // Load the snapshot's ledger rows and run the Spend per feature panel over them again.
    await client.command({ query: 'CREATE DATABASE IF NOT EXISTS chart_snapshot' });
    await client.command({ query: 'CREATE TABLE chart_snapshot.ai_calls AS switchyard.ai_calls' });
    await client.insert({ table: 'chart_snapshot.ai_calls', values: snapshot.ledger, format: 'JSONEachRow' });
    const ctx: Ctx = { ...snapshot.context, from: new Date(snapshot.context.from), to: new Date(snapshot.context.to) };
    const sql = chartSql();
    assert.equal(sql.split('switchyard.ai_calls').length, 2, 'the panel reads one table');
    const rows = await run(sql.replace('switchyard.ai_calls', 'chart_snapshot.ai_calls'), ctx);
    assert.deepEqual(
      normalize(rows),
      normalize(snapshot.rows as unknown as Row[]),
      'the snapshot rows are the panel SQL over the snapshot ledger',
    );
    assert.equal(
      renderSvg(snapshot),
      readFileSync(CHART_SVG_PATH, 'utf8'),
      'stale picture: run npx tsx dashboards/src/render-cost-chart.ts --from-snapshot',
    );
  });

  test('macros left unexpanded are caught, not run', () => {
    assert.throws(() => expandMacros('SELECT 1 WHERE $__timeFilter(ts) AND $__unknown', ALL), /unexpanded/);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana variables, not JS templates
    assert.throws(() => expandMacros('SELECT ${feature:singlequote}', ALL), /All outside/);
    assert.equal(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana variables, not JS templates
      expandMacros('SELECT 1 WHERE $__conditionalAll(f IN (${feature:singlequote}), $feature)', SELECTION),
      "SELECT 1 WHERE f IN ('support-chat','coding')",
    );
    assert.ok(ran > 0);
  });
});

function expectedRule(uid: string, rs: AiCallRow[], now: Date): Row[] {
  const budget = /^sy-budget-(hour|day)-(.+)$/.exec(uid);
  if (budget) return [{ spend_usd: sum(rs.filter((r) => r.feature === budget[2]).map(cost)) }];
  if (uid === 'sy-error-rate-provider') {
    const out = groupBy(rs, (r) => ({ provider: r.final_provider }))
      .filter(([, g]) => g.length >= 20)
      .map(([k, g]) => ({ ...k, error_rate: g.filter(isError).length / g.length }));
    return sortBy(out, [['provider', 'ASC']]);
  }
  if (uid === 'sy-fallback-spike') {
    const recentStart = Math.floor(now.getTime() / 1000) * 1000 - 900_000;
    const out = groupBy(rs, (r) => ({ feature: r.feature }))
      .map(([k, g]) => {
        const recent = g.filter((r) => ms(r.ts) > recentStart);
        const older = g.filter((r) => ms(r.ts) <= recentStart);
        const rate = (xs: AiCallRow[]) => ratio(xs.filter(fellBack).length, xs.length);
        return { k, n: recent.length, v: (rate(recent) ?? 0) - (rate(older) ?? 0) };
      })
      .filter((x) => x.n >= 20)
      .map((x) => ({ ...x.k, fallback_rate_increase: x.v }));
    return sortBy(out, [['feature', 'ASC']]);
  }
  if (uid === 'sy-p95-latency') {
    const out = groupBy(rs, (r) => ({ feature: r.feature }))
      .filter(([, g]) => g.length >= 20)
      .map(([k, g]) => ({
        ...k,
        p95_ms: quantile(0.95, latencies(g)),
      }));
    return sortBy(out, [['feature', 'ASC']]);
  }
  throw new Error(`no expectation for alert rule ${uid}`);
}
