import { DataqueryBuilder as PrometheusQuery } from '@grafana/grafana-foundation-sdk/prometheus';
import { THRESHOLDS } from '../alert-thresholds.js';
import { BUDGETS, type FeatureBudget } from '../budgets.js';
import { PROMETHEUS_DS, SPOOL_METRICS } from '../constants.js';
import { cols, Expr, fn, sql, str } from '../sql/expr.js';
import { macro } from '../sql/macros.js';
import { select } from '../sql/query-builder.js';
import { aiCalls, aiCallsHourly } from '../sql/schema.js';
import type { RuleSpec } from './rule-parts.js';

/**
 * Every alert rule, as data: budgets (from budgets.ts), error rate per provider, fallback-rate
 * spike per feature, p95 latency per feature, and the ledger spool (from the sidecar's
 * Prometheus metrics, since ClickHouse is the thing that is down). Rules whose range holds whole
 * hours (the daily budget, the fallback baseline) read them from the `ai_calls_hourly` rollup;
 * why the others cannot is in dashboards/README.md.
 */
const c = cols(aiCalls);
const h = cols(aiCallsHourly);
const cost = fn.ifNull(c.cost_usd, 0);
export const GROUPS = { budgets: 'switchyard-budgets', reliability: 'switchyard-reliability', ledger: 'switchyard-ledger' };

const WINDOWS = [
  { key: 'usdPerHour', label: 'hour', seconds: 3600 },
  { key: 'usdPerDay', label: 'day', seconds: 86400 },
] as const;

/**
 * An alert's range split between the hourly rollup and the raw ledger. Whole hours inside
 * [from, until) come from `ai_calls_hourly` (one row per hour × key instead of one per call); the
 * ragged edges, before the first whole hour and from the last hour start on, come from `ai_calls`.
 * Together they cover every call in the range exactly once, so the result equals the ledger-only
 * query. A window shorter than two hours has no whole hour inside and reads only the ledger.
 */
function hourSplit(until: Expr) {
  const firstWholeHour = sql`toStartOfHour(${macro.fromTime()}, 'UTC') + INTERVAL 1 HOUR`;
  const edgeHour = sql`toStartOfHour(${until}, 'UTC')`;
  return {
    rollupHours: [sql`${h.hour} >= ${firstWholeHour}`, sql`${h.hour} < ${edgeHour}`],
    ledgerEdges: [macro.timeFilter(c.ts), sql`(${c.ts} < ${firstWholeHour} OR ${c.ts} >= ${edgeHour})`],
  };
}

const unionAll = (...parts: Expr[]) => new Expr(parts.map((p) => p.sql).join('\nUNION ALL\n'));

/** Spend of one feature over the rule's range: rollup hours plus ledger edges. */
export function budgetRuleSql(feature: string) {
  const split = hourSplit(macro.toTime());
  const parts = unionAll(
    select({
      from: aiCallsHourly,
      select: { spend: fn.sum(h.cost_usd_sum) },
      where: [sql`${h.feature} = ${str(feature)}`, ...split.rollupHours],
    }),
    select({
      from: aiCalls,
      select: { spend: fn.sum(cost) },
      where: [sql`${c.feature} = ${str(feature)}`, ...split.ledgerEdges],
    }),
  );
  return select({ from: parts, select: { spend_usd: sql`sum(spend)` } });
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

/**
 * Per feature: fallback share of the last 15 minutes minus the share of the 24 h before. The
 * recent window is ledger rows; the baseline's whole hours come from the rollup (its `fallbacks`
 * and `calls`), its edges from the ledger.
 */
export function fallbackSpikeSql() {
  const t = THRESHOLDS.fallbackSpike;
  const recentStart = sql`${macro.toTime()} - INTERVAL ${t.recentSeconds} SECOND`;
  const recent = sql`${c.ts} > ${recentStart}`;
  const fellBack = sql`length(${c.fallback_path}) > 1`;
  const split = hourSplit(recentStart);
  const parts = unionAll(
    select({
      from: aiCallsHourly,
      select: {
        feature: h.feature,
        recent_calls: sql`toUInt64(0)`,
        recent_fallbacks: sql`toUInt64(0)`,
        baseline_calls: fn.sum(h.calls),
        baseline_fallbacks: fn.sum(h.fallbacks),
      },
      where: split.rollupHours,
      groupBy: ['feature'],
    }),
    select({
      from: aiCalls,
      select: {
        feature: c.feature,
        recent_calls: fn.countIf(recent),
        recent_fallbacks: fn.countIf(sql`${fellBack} AND ${recent}`),
        baseline_calls: fn.countIf(sql`NOT ${recent}`),
        baseline_fallbacks: fn.countIf(sql`${fellBack} AND NOT ${recent}`),
      },
      where: split.ledgerEdges,
      groupBy: ['feature'],
    }),
  );
  const recentRate = fn.ratio(sql`sum(recent_fallbacks)`, sql`sum(recent_calls)`);
  const baselineRate = fn.ratio(sql`sum(baseline_fallbacks)`, sql`sum(baseline_calls)`);
  return select({
    from: parts,
    select: { feature: new Expr('feature'), fallback_rate_increase: sql`${recentRate} - ${fn.ifNull(baselineRate, 0)}` },
    groupBy: ['feature'],
    having: [sql`sum(recent_calls) >= ${t.minCalls}`],
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
