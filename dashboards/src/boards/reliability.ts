import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { stat, table, timeseries, unitOverride } from '../panels.js';
import { cols, type Expr, fn, sql } from '../sql/expr.js';
import { macro } from '../sql/macros.js';
import { select } from '../sql/query-builder.js';
import { aiCalls } from '../sql/schema.js';
import { ledgerFilters } from '../variables.js';
import { addPanels, baseDashboard } from './dashboard-base.js';

/**
 * Reliability: calls, error rate and latency percentiles per feature and provider, time to first
 * token, retry and fallback rates, and the fallback paths that saved calls.
 */
const c = cols(aiCalls);
const time = macro.timeInterval(c.ts);
const isError = sql`${c.outcome} = 'error'`;
const fellBack = sql`length(${c.fallback_path}) > 1`;
const retried = sql`${c.retry_count} > 0`;
export const errorRate = fn.ratio(fn.countIf(isError), fn.count());
export const fallbackRate = fn.ratio(fn.countIf(fellBack), fn.count());
const retryRate = fn.ratio(fn.countIf(retried), fn.count());

function perInterval<const L extends string, const V extends string>(label: L, by: Expr, value: V, agg: Expr, extra: Expr[] = []) {
  return select<'time' | L | V>({
    from: aiCalls,
    select: { time, [label]: by, [value]: agg } as Record<'time' | L | V, Expr>,
    where: [...ledgerFilters(), ...extra],
    groupBy: ['time', label],
    orderBy: [
      ['time', 'ASC'],
      [label, 'ASC'],
    ],
  });
}

function overall<const V extends string>(value: V, agg: Expr) {
  return select<V>({ from: aiCalls, select: { [value]: agg } as Record<V, Expr>, where: ledgerFilters() });
}

export function reliabilityDashboard() {
  const totals = [
    stat({ title: 'Calls', description: 'Ledger rows.', sql: overall('calls', fn.count()), unit: 'short', width: 4 }),
    stat({
      title: 'Error rate',
      description: "Share of calls whose final outcome is 'error' (after retries and fallbacks).",
      sql: overall('error_rate', errorRate),
      unit: 'percentunit',
      width: 5,
    }),
    stat({
      title: 'Retry rate',
      description: 'Share of calls that retried a target at least once.',
      sql: overall('retry_rate', retryRate),
      unit: 'percentunit',
      width: 5,
    }),
    stat({
      title: 'Fallback rate',
      description: 'Share of calls that tried more than one target (length(fallback_path) > 1).',
      sql: overall('fallback_rate', fallbackRate),
      unit: 'percentunit',
      width: 5,
    }),
    stat({
      title: 'p95 latency',
      description: 'quantile(0.95) of the call latency, retries and fallbacks included.',
      sql: overall('p95_ms', fn.quantile(0.95, c.latency_ms)),
      unit: 'ms',
      width: 5,
    }),
  ];

  const traffic = [
    timeseries({
      title: 'Calls per feature',
      description: 'Calls per interval.',
      sql: perInterval('feature', c.feature, 'calls', fn.count()),
      unit: 'short',
      width: 12,
      stacked: true,
    }),
    timeseries({
      title: 'Error rate per provider',
      description: 'Failed calls / calls, per final provider.',
      sql: perInterval('provider', c.final_provider, 'error_rate', errorRate),
      unit: 'percentunit',
      width: 12,
    }),
    timeseries({
      title: 'Error rate per feature',
      description: 'Failed calls / calls, per feature.',
      sql: perInterval('feature', c.feature, 'error_rate', errorRate),
      unit: 'percentunit',
      width: 12,
    }),
    timeseries({
      title: 'Retry and fallback rates',
      description: 'Share of calls that retried, and share that fell back to another target.',
      sql: select({
        from: aiCalls,
        select: { time, retry_rate: retryRate, fallback_rate: fallbackRate },
        where: ledgerFilters(),
        groupBy: ['time'],
        orderBy: [['time', 'ASC']],
      }),
      unit: 'percentunit',
      width: 12,
    }),
  ];

  const latency = [
    timeseries({
      title: 'p95 latency per provider',
      description: 'quantile(0.95)(latency_ms) per final provider.',
      sql: perInterval('provider', c.final_provider, 'p95_ms', fn.quantile(0.95, c.latency_ms)),
      unit: 'ms',
      width: 12,
    }),
    timeseries({
      title: 'Time to first token (streamed calls)',
      description: 'p50 and p95 of ttfc_ms over streamed calls that produced a first chunk.',
      sql: select({
        from: aiCalls,
        select: {
          time,
          ttft_p50_ms: fn.quantile(0.5, c.ttfc_ms),
          ttft_p95_ms: fn.quantile(0.95, c.ttfc_ms),
        },
        where: [...ledgerFilters(), c.streamed, sql`${c.ttfc_ms} IS NOT NULL`],
        groupBy: ['time'],
        orderBy: [['time', 'ASC']],
      }),
      unit: 'ms',
      width: 12,
    }),
    table({
      title: 'Latency per feature and provider',
      description: 'Calls, error rate, p50/p95/p99 latency and p95 gateway overhead per feature × final provider.',
      sql: select({
        from: aiCalls,
        select: {
          feature: c.feature,
          provider: c.final_provider,
          calls: fn.count(),
          error_rate: errorRate,
          p50_ms: fn.quantile(0.5, c.latency_ms),
          p95_ms: fn.quantile(0.95, c.latency_ms),
          p99_ms: fn.quantile(0.99, c.latency_ms),
          overhead_p95_ms: fn.quantile(0.95, c.overhead_ms),
        },
        where: ledgerFilters(),
        groupBy: ['feature', 'provider'],
        orderBy: [
          ['feature', 'ASC'],
          ['provider', 'ASC'],
        ],
      }),
      unit: 'ms',
      width: 24,
      overrides: [unitOverride('calls', 'short'), unitOverride('error_rate', 'percentunit')],
    }),
  ];

  const fallbacks = [
    table({
      title: 'Fallback paths that saved calls',
      description:
        'Calls that tried more than one target and still ended ok, per fallback path: each one is a call the first target alone would have failed.',
      sql: select({
        from: aiCalls,
        select: {
          fallback_chain: c.fallback_path_str,
          saved_calls: fn.count(),
          features: sql`arrayStringConcat(arraySort(groupUniqArray(${c.feature})), ', ')`,
          p95_ms: fn.quantile(0.95, c.latency_ms),
        },
        where: [...ledgerFilters(), fellBack, sql`${c.outcome} = 'ok'`],
        groupBy: ['fallback_chain'],
        orderBy: [
          ['saved_calls', 'DESC'],
          ['fallback_chain', 'ASC'],
        ],
      }),
      unit: 'short',
      width: 12,
      overrides: [unitOverride('p95_ms', 'ms')],
    }),
    table({
      title: 'Errors by type',
      description: 'Failed calls per error type, final provider and HTTP status.',
      sql: select({
        from: aiCalls,
        select: {
          error_type: c.error_type,
          provider: c.final_provider,
          http_status: c.http_status,
          calls: fn.count(),
        },
        where: [...ledgerFilters(), isError],
        groupBy: ['error_type', 'provider', 'http_status'],
        orderBy: [
          ['calls', 'DESC'],
          ['error_type', 'ASC'],
          ['provider', 'ASC'],
          ['http_status', 'ASC'],
        ],
      }),
      unit: 'short',
      width: 12,
    }),
  ];

  return addPanels(
    baseDashboard({
      uid: 'switchyard-reliability',
      title: 'Switchyard / Reliability',
      description: 'Calls, errors, latency, retries and fallbacks, from the ClickHouse ledger (ai_calls).',
    }),
    [
      { panels: totals },
      { row: new RowBuilder('Traffic and errors'), panels: traffic },
      { row: new RowBuilder('Latency'), panels: latency },
      { row: new RowBuilder('Fallbacks'), panels: fallbacks },
    ],
  ).build();
}
