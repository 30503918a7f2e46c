import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { ruleSpecs } from '../../dashboards/src/alerts/rules.js';
import { CACHE_PRICES } from '../../dashboards/src/cache-prices.js';
import { demoTraffic, DEMO_END_MS, DEMO_START_MS } from '../../dashboards/src/demo/demo-traffic.js';
import { seedClickHouse, spanRows, type SpanRow } from '../../dashboards/src/demo/seed-clickhouse.js';
import { dashboards } from '../../dashboards/src/generate.js';
import { type ExpandContext, expandMacros } from '../../dashboards/src/sql/expand-macros.js';
import { panelSql, renderSvg } from '../../dashboards/src/render-cost-chart.js';
import { TRACE_ID_VALUE, traceViewSql } from '../../dashboards/src/trace-links.js';
import { VARIABLES } from '../../dashboards/src/variables.js';
import type { AiCallRow } from '../../src/sinks/clickhouse/rows/ai-call-row.js';
import { CLIENT_SETTINGS } from '../../src/sinks/clickhouse/open-client.js';
import { startClickHouseServer, type TestClickHouseServer } from '../support/clickhouse-server.js';

/**
 * Every panel's and alert rule's SQL, macros expanded the way the Grafana ClickHouse plugin does,
 * runs on a real ClickHouse seeded with the demo traffic, and must return exactly what an
 * independent computation over the same ledger rows says — under "All" and under a selection.
 */
type Row = Record<string, unknown>;
type Ctx = ExpandContext;

const RANGE_FROM = new Date(DEMO_END_MS - 3 * 3600_000);
const RANGE_TO = new Date(DEMO_END_MS);
const INTERVAL = 1800;
const ALL: Ctx = {
  from: RANGE_FROM,
  to: RANGE_TO,
  intervalSeconds: INTERVAL,
  variables: { feature: 'All', provider: 'All', model: 'All', namespace: 'All' },
};
const SELECTION: Ctx = {
  ...ALL,
  variables: { feature: ['support-chat', 'code-review'], provider: 'All', model: 'All', namespace: ['shop', 'platform'] },
};

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
function inCtx(rows: AiCallRow[], ctx: Ctx): AiCallRow[] {
  return rows.filter((r) => {
    const t = Math.floor(ms(r.ts) / 1000) * 1000;
    if (ms(r.ts) < ctx.from.getTime() || t > ctx.to.getTime()) return false;
    return VARIABLES.every((v) => {
      const sel = ctx.variables[v.name];
      return sel === undefined || sel === 'All' || sel.includes(String(r[v.column]));
    });
  });
}
const bucket = (r: AiCallRow, ctx: Ctx) => chTime(Math.floor(ms(r.ts) / 1000 / ctx.intervalSeconds) * ctx.intervalSeconds);
const model = (r: AiCallRow) => `${r.final_provider}/${r.final_model}`;
const workload = (r: AiCallRow) => `${r.namespace}/${r.workload}`;
const savingPerToken = (m: string) => {
  const p = CACHE_PRICES.find((x) => x.model === m);
  return p ? (p.inputUsdPerMTok - p.cachedInputUsdPerMTok) / 1e6 : 0;
};
const savings = (r: AiCallRow) => r.cache_read_tokens * savingPerToken(r.final_model);
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
    const listed = new Set(CACHE_PRICES.map((p) => p.model));
    const out = groupBy(
      rs.filter((r) => r.cache_read_tokens > 0),
      (r) => ({ model: model(r), priced: listed.has(r.final_model) }),
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

/** Panels over otel_traces: computed from the seeded spans, not the ledger. */
function expectedSpans(spans: SpanRow[], ctx: Ctx): Row[] {
  const out = spans
    .filter((s) => s.SpanKind === 'Server')
    .filter((s) => ms(s.Timestamp.slice(0, 23)) >= ctx.from.getTime() && ms(s.Timestamp.slice(0, 19)) <= ctx.to.getTime())
    .map((s) => ({
      time: s.Timestamp,
      service: s.ServiceName,
      span: s.SpanName,
      feature: s.SpanAttributes['switchyard.feature'] ?? '',
      duration_ms: s.Duration / 1e6,
      status: s.StatusCode,
      trace_id: s.TraceId,
    }));
  return sortBy(out, [
    ['duration_ms', 'DESC'],
    ['trace_id', 'ASC'],
  ]).slice(0, 50);
}

// ---- comparison ----------------------------------------------------------------------------------
function normalize(rows: Row[]): Row[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toPrecision(9)) : v])));
}

describe('dashboard and alert SQL on a real ClickHouse', () => {
  let server: TestClickHouseServer;
  let client: ClickHouseClient;
  let ledger: AiCallRow[];
  let spans: SpanRow[];
  let ran = 0;

  async function run(sql: string, ctx: Ctx): Promise<Row[]> {
    const rs = await client.query({ query: expandMacros(sql, ctx), format: 'JSONEachRow' });
    ran++;
    return rs.json<Row>();
  }

  before(async () => {
    server = await startClickHouseServer();
    client = createClient({ url: server.url, clickhouse_settings: CLIENT_SETTINGS });
    const records = demoTraffic();
    const traced = records.filter((_, i) => i % 25 === 0);
    ledger = await seedClickHouse(client, { records, spansFor: traced });
    spans = traced.flatMap(spanRows);
  });
  after(async () => {
    await client?.close();
    await server?.dispose();
  });

  test('the seed is what the reference sees: every ledger row landed once', async () => {
    const [row] = await run('SELECT count() AS n, uniqExact(call_id) AS ids FROM switchyard.ai_calls', ALL);
    assert.deepEqual(row, { n: ledger.length, ids: ledger.length });
    assert.ok(inCtx(ledger, ALL).length < ledger.length, 'some rows lie outside the time range');
  });

  for (const [label, ctx] of [
    ['All', ALL],
    ['a selection', SELECTION],
  ] as const) {
    test(`every panel returns the expected numbers (variables: ${label})`, async () => {
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
            assert.ok(expected.length > 0, `${board} / ${title}: the seed exercises this panel`);
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
      const model = board.templating?.list?.find((x) => x.name === v.name);
      assert.ok(model && typeof model.query === 'string', v.name);
      const actual = (await run(model.query, ALL)).map((r) => r.value);
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
    const traceId = spans[0]?.TraceId ?? '';
    const rows = await run(traceViewSql(TRACE_ID_VALUE).sql, { ...ALL, linkValues: { '__value.raw': traceId } });
    const mine = spans.filter((s) => s.TraceId === traceId);
    assert.equal(rows.length, mine.length);
    assert.deepEqual(
      rows.map((r) => [r.traceID, r.spanID, r.parentSpanID, r.operationName, r.serviceName]).sort(),
      mine.map((s) => [s.TraceId, s.SpanId, s.ParentSpanId, s.SpanName, s.ServiceName]).sort(),
    );
    const server = rows.find((r) => r.parentSpanID === '');
    assert.equal(server?.duration, (mine.find((s) => s.SpanKind === 'Server')?.Duration ?? 0) / 1e6);
  });

  test('every ClickHouse alert rule returns the expected values and fires exactly where the threshold says', async () => {
    // Budgets low enough that some fire on the demo traffic, plus the reliability rules.
    const budgets = [
      { feature: 'code-review', usdPerHour: 0.5, usdPerDay: 100 },
      { feature: 'support-chat', usdPerHour: 10 },
    ];
    const specs = ruleSpecs(budgets).filter((s) => s.source.kind === 'clickhouse');
    const now = new Date(DEMO_END_MS);
    const fired: string[] = [];
    for (const spec of specs) {
      assert.equal(spec.source.kind, 'clickhouse');
      if (spec.source.kind !== 'clickhouse') continue;
      const ctx: Ctx = { from: new Date(DEMO_END_MS - spec.rangeSeconds * 1000), to: now, intervalSeconds: 60, variables: {} };
      const rs = inCtx(ledger, { ...ctx, variables: {} });
      const actual = normalize(await run(spec.source.sql.sql, ctx));
      const expected = normalize(expectedRule(spec.uid, rs, now));
      assert.deepEqual(actual, expected, spec.title);
      for (const row of actual) {
        const value = Object.values(row).find((v) => typeof v === 'number') as number;
        const labels = Object.values(row).filter((v) => typeof v === 'string');
        if (value > spec.above) fired.push([spec.uid, ...labels].join(':'));
      }
    }
    assert.deepEqual(fired.sort(), ['sy-budget-hour-code-review', 'sy-error-rate-provider:anthropic', 'sy-fallback-spike:support-chat']);
  });

  test('docs/images/cost-per-feature.svg is the Spend per feature panel over the demo ledger, re-rendered', async () => {
    const ctx: Ctx = { ...ALL, from: new Date(DEMO_START_MS), to: new Date(DEMO_END_MS), intervalSeconds: 900 };
    const rows = (await run(panelSql('Spend per feature'), ctx)) as { time: string; feature: string; spend_usd: number }[];
    assert.deepEqual(normalize(rows), normalize(PANELS['Spend per feature']?.(inCtx(ledger, ctx), ctx) ?? []));
    const committed = readFileSync(new URL('../../docs/images/cost-per-feature.svg', import.meta.url), 'utf8');
    assert.equal(renderSvg(rows), committed, 'stale picture: run npx tsx dashboards/src/render-cost-chart.ts');
  });

  test('macros left unexpanded are caught, not run', () => {
    assert.throws(() => expandMacros('SELECT 1 WHERE $__timeFilter(ts) AND $__unknown', ALL), /unexpanded/);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana variables, not JS templates
    assert.throws(() => expandMacros('SELECT ${feature:singlequote}', ALL), /All outside/);
    assert.equal(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana variables, not JS templates
      expandMacros('SELECT 1 WHERE $__conditionalAll(f IN (${feature:singlequote}), $feature)', SELECTION),
      "SELECT 1 WHERE f IN ('support-chat','code-review')",
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
