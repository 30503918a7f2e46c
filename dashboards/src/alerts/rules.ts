import { DataqueryBuilder as PrometheusQuery } from '@grafana/grafana-foundation-sdk/prometheus';
import { THRESHOLDS } from '../alert-thresholds.js';
import { BUDGETS, type FeatureBudget } from '../budgets.js';
import { PROMETHEUS_DS, SPOOL_METRICS } from '../constants.js';
import { cols, fn, sql, str } from '../sql/expr.js';
import { macro } from '../sql/macros.js';
import { select } from '../sql/query-builder.js';
import { aiCalls } from '../sql/schema.js';
import type { RuleSpec } from './rule-parts.js';

/**
 * Every alert rule, as data: budgets (from budgets.ts), error rate per provider, fallback-rate
 * spike per feature, p95 latency per feature, and the ledger spool (from the sidecar's
 * Prometheus metrics, since ClickHouse is the thing that is down).
 */
const c = cols(aiCalls);
const cost = fn.ifNull(c.cost_usd, 0);
export const GROUPS = { budgets: 'switchyard-budgets', reliability: 'switchyard-reliability', ledger: 'switchyard-ledger' };

const WINDOWS = [
  { key: 'usdPerHour', label: 'hour', seconds: 3600 },
  { key: 'usdPerDay', label: 'day', seconds: 86400 },
] as const;

export function budgetRuleSql(feature: string) {
  return select({
    from: aiCalls,
    select: { spend_usd: fn.sum(cost) },
    where: [macro.timeFilter(c.ts), sql`${c.feature} = ${str(feature)}`],
  });
}

function budgetRules(budgets: readonly FeatureBudget[]): RuleSpec[] {
  return budgets.flatMap((b) =>
    WINDOWS.flatMap((w) => {
      const limit = b[w.key];
      if (limit === undefined) return [];
      return [
        {
          uid: `sy-budget-${w.label}-${b.feature}`.slice(0, 40),
          title: `Budget: ${b.feature} over ${limit} USD per ${w.label}`,
          group: GROUPS.budgets,
          source: { kind: 'clickhouse', sql: budgetRuleSql(b.feature) },
          rangeSeconds: w.seconds,
          above: limit,
          for: '0s',
          labels: { team: 'finops', severity: 'warning', feature: b.feature, window: w.label },
          summary: `${b.feature} spent more than ${limit} USD in the last ${w.label}`,
          description: `sum(cost_usd) of feature ${b.feature} over the last ${w.label} is {{ $values.B.Value }} USD (budget ${limit}). Budgets: dashboards/src/budgets.ts.`,
          noData: 'OK',
        } satisfies RuleSpec,
      ];
    }),
  );
}

export function errorRateSql() {
  const t = THRESHOLDS.errorRate;
  return select({
    from: aiCalls,
    select: {
      provider: c.final_provider,
      error_rate: fn.ratio(fn.countIf(sql`${c.outcome} = 'error'`), fn.count()),
    },
    where: [macro.timeFilter(c.ts)],
    groupBy: ['provider'],
    having: [sql`count() >= ${t.minCalls}`],
    orderBy: [['provider', 'ASC']],
  });
}

export function fallbackSpikeSql() {
  const t = THRESHOLDS.fallbackSpike;
  const recent = sql`${c.ts} > ${macro.toTime()} - INTERVAL ${t.recentSeconds} SECOND`;
  const fellBack = sql`length(${c.fallback_path}) > 1`;
  const recentRate = fn.ratio(fn.countIf(sql`${fellBack} AND ${recent}`), fn.countIf(recent));
  const baselineRate = fn.ratio(fn.countIf(sql`${fellBack} AND NOT ${recent}`), fn.countIf(sql`NOT ${recent}`));
  return select({
    from: aiCalls,
    select: { feature: c.feature, fallback_rate_increase: sql`${recentRate} - ${fn.ifNull(baselineRate, 0)}` },
    where: [macro.timeFilter(c.ts)],
    groupBy: ['feature'],
    having: [sql`${fn.countIf(recent)} >= ${t.minCalls}`],
    orderBy: [['feature', 'ASC']],
  });
}

export function p95LatencySql() {
  const t = THRESHOLDS.p95Latency;
  return select({
    from: aiCalls,
    select: { feature: c.feature, p95_ms: fn.quantile(0.95, c.latency_ms) },
    where: [macro.timeFilter(c.ts)],
    groupBy: ['feature'],
    having: [sql`count() >= ${t.minCalls}`],
    orderBy: [['feature', 'ASC']],
  });
}

export const SPOOL_GROWTH_PROMQL = `deriv(${SPOOL_METRICS.spooledRecords}[${THRESHOLDS.spool.window}])`;
export const SPOOL_DROPPED_PROMQL = `increase(${SPOOL_METRICS.droppedTotal}[15m])`;

function promQuery(expr: string) {
  return new PrometheusQuery()
    .refId('A')
    .expr(expr)
    .instant()
    .datasource({ ...PROMETHEUS_DS });
}

export function ruleSpecs(budgets: readonly FeatureBudget[] = BUDGETS): RuleSpec[] {
  const e = THRESHOLDS.errorRate;
  const f = THRESHOLDS.fallbackSpike;
  const p = THRESHOLDS.p95Latency;
  return [
    ...budgetRules(budgets),
    {
      uid: 'sy-error-rate-provider',
      title: 'Error rate per provider',
      group: GROUPS.reliability,
      source: { kind: 'clickhouse', sql: errorRateSql() },
      rangeSeconds: e.windowSeconds,
      above: e.max,
      for: e.for,
      labels: { team: 'oncall', severity: 'critical' },
      summary: `Provider {{ $labels.provider }} fails more than ${e.max * 100}% of calls`,
      description: `Share of failed calls (after retries and fallbacks) per final provider over the last ${e.windowSeconds / 60} minutes, providers with at least ${e.minCalls} calls.`,
      noData: 'OK',
    },
    {
      uid: 'sy-fallback-spike',
      title: 'Fallback rate spike',
      group: GROUPS.reliability,
      source: { kind: 'clickhouse', sql: fallbackSpikeSql() },
      rangeSeconds: f.baselineSeconds,
      above: f.maxIncrease,
      for: f.for,
      labels: { team: 'oncall', severity: 'warning' },
      summary: 'Feature {{ $labels.feature }} falls back far more often than usual',
      description: `Fallback share of the last ${f.recentSeconds / 60} minutes minus the share of the ${f.baselineSeconds / 3600}h before, per feature (at least ${f.minCalls} recent calls). A primary target is failing.`,
      noData: 'OK',
    },
    {
      uid: 'sy-p95-latency',
      title: 'p95 latency per feature',
      group: GROUPS.reliability,
      source: { kind: 'clickhouse', sql: p95LatencySql() },
      rangeSeconds: p.windowSeconds,
      above: p.maxMs,
      for: p.for,
      labels: { team: 'oncall', severity: 'warning' },
      summary: `p95 latency of {{ $labels.feature }} is above ${p.maxMs} ms`,
      description: `quantile(0.95)(latency_ms) per feature over the last ${p.windowSeconds / 60} minutes (at least ${p.minCalls} calls).`,
      noData: 'OK',
    },
    {
      uid: 'sy-ledger-spool-growing',
      title: 'Ledger spool growing (ClickHouse unreachable)',
      group: GROUPS.ledger,
      source: { kind: 'datasource', uid: PROMETHEUS_DS.uid, model: promQuery(SPOOL_GROWTH_PROMQL) },
      rangeSeconds: 600,
      above: 0,
      for: THRESHOLDS.spool.for,
      labels: { team: 'oncall', severity: 'critical' },
      summary: 'A sidecar is spooling ledger records to disk',
      description: `${SPOOL_METRICS.spooledRecords} has grown for ${THRESHOLDS.spool.for}: ClickHouse is unreachable or rejecting writes. Records are safe on disk until the spool is full; then the oldest are dropped (${SPOOL_METRICS.droppedTotal}).`,
      noData: 'OK',
    },
    {
      uid: 'sy-ledger-spool-dropping',
      title: 'Ledger spool full: records dropped',
      group: GROUPS.ledger,
      source: { kind: 'datasource', uid: PROMETHEUS_DS.uid, model: promQuery(SPOOL_DROPPED_PROMQL) },
      rangeSeconds: 900,
      above: 0,
      for: '0s',
      labels: { team: 'oncall', severity: 'critical' },
      summary: 'A sidecar dropped ledger records (spool full)',
      description: `${SPOOL_METRICS.droppedTotal} increased in the last 15 minutes: cost records are being lost.`,
      noData: 'OK',
    },
  ];
}
