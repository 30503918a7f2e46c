import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { cacheSavingPerToken, isPricedModel } from '../cache-prices.js';
import { stat, table, timeseries, unitOverride } from '../panels.js';
import { cols, type Expr, fn, sql } from '../sql/expr.js';
import { macro } from '../sql/macros.js';
import { select } from '../sql/query-builder.js';
import { aiCalls } from '../sql/schema.js';
import { ledgerFilters } from '../variables.js';
import { addPanels, baseDashboard } from './dashboard-base.js';

/** Cost: spend per feature, model, provider and workload; top spenders; cache savings; cost per 1k calls. */
const c = cols(aiCalls);
const cost = fn.ifNull(c.cost_usd, 0);
const time = macro.timeInterval(c.ts);
const model = sql`concat(${c.final_provider}, '/', ${c.final_model})`;
const workload = sql`concat(${c.namespace}, '/', ${c.workload})`;
const cacheSavings = sql`${c.cache_read_tokens} * ${cacheSavingPerToken(c.final_model)}`;

function spendOverTime<const L extends string>(label: L, by: Expr) {
  return select<'time' | L | 'spend_usd'>({
    from: aiCalls,
    select: { time, [label]: by, spend_usd: fn.sum(cost) } as Record<'time' | L | 'spend_usd', Expr>,
    where: ledgerFilters(),
    groupBy: ['time', label],
    orderBy: [
      ['time', 'ASC'],
      [label, 'ASC'],
    ],
  });
}

export function costDashboard() {
  const totals = [
    stat({
      title: 'Spend',
      description: 'sum(cost_usd) over the time range. Calls with an unknown price (cost_usd NULL) count as 0.',
      sql: select({ from: aiCalls, select: { spend_usd: fn.sum(cost) }, where: ledgerFilters() }),
      unit: 'currencyUSD',
      width: 5,
    }),
    stat({
      title: 'Calls',
      description: 'Ledger rows (one per call, never sampled).',
      sql: select({ from: aiCalls, select: { calls: fn.count() }, where: ledgerFilters() }),
      unit: 'short',
      width: 4,
    }),
    stat({
      title: 'Cost per 1k calls',
      description: '1000 × spend / calls.',
      sql: select({
        from: aiCalls,
        select: { usd_per_1k_calls: sql`1000 * ${fn.ratio(fn.sum(cost), fn.count())}` },
        where: ledgerFilters(),
      }),
      unit: 'currencyUSD',
      width: 5,
    }),
    stat({
      title: 'Cache savings',
      description:
        'cache_read_tokens × (input price − cached input price), prices from the bundled price table (src/pricing) matched on final_model as the sidecar matches them. Config price overrides are not visible here.',
      sql: select({ from: aiCalls, select: { saved_usd: fn.sum(cacheSavings) }, where: ledgerFilters() }),
      unit: 'currencyUSD',
      width: 5,
    }),
    stat({
      title: 'Unpriced calls',
      description: 'Calls whose model has no price in the price table (cost_usd IS NULL). Their spend is missing above.',
      sql: select({
        from: aiCalls,
        select: { unpriced_calls: fn.countIf(sql`${c.cost_usd} IS NULL`) },
        where: ledgerFilters(),
      }),
      unit: 'short',
      width: 5,
    }),
  ];

  const overTime = [
    timeseries({
      title: 'Spend per feature',
      description: 'USD per interval, one series per feature.',
      sql: spendOverTime('feature', c.feature),
      unit: 'currencyUSD',
      width: 12,
      stacked: true,
    }),
    timeseries({
      title: 'Spend per model',
      description: 'USD per interval, one series per final provider/model.',
      sql: spendOverTime('model', model),
      unit: 'currencyUSD',
      width: 12,
      stacked: true,
    }),
    timeseries({
      title: 'Spend per provider',
      description: 'USD per interval, one series per final provider.',
      sql: spendOverTime('provider', c.final_provider),
      unit: 'currencyUSD',
      width: 12,
      stacked: true,
    }),
    timeseries({
      title: 'Spend per workload',
      description: 'USD per interval, one series per namespace/workload (from the Kubernetes downward API).',
      sql: spendOverTime('ns_workload', workload),
      unit: 'currencyUSD',
      width: 12,
      stacked: true,
    }),
    timeseries({
      title: 'Cost per 1k calls per feature',
      description: '1000 × spend / calls, per interval and feature.',
      sql: select({
        from: aiCalls,
        select: { time, feature: c.feature, usd_per_1k_calls: sql`1000 * ${fn.ratio(fn.sum(cost), fn.count())}` },
        where: ledgerFilters(),
        groupBy: ['time', 'feature'],
        orderBy: [
          ['time', 'ASC'],
          ['feature', 'ASC'],
        ],
      }),
      unit: 'currencyUSD',
      width: 24,
    }),
  ];

  const breakdown = [
    table({
      title: 'Top spenders',
      description: 'Feature × namespace/workload by spend, with their share of the total.',
      sql: select({
        from: aiCalls,
        select: {
          feature: c.feature,
          ns_workload: workload,
          calls: fn.count(),
          spend_usd: fn.sum(cost),
          share: sql`${fn.sum(cost)} / nullIf(sum(${fn.sum(cost)}) OVER (), 0)`,
        },
        where: ledgerFilters(),
        groupBy: ['feature', 'ns_workload'],
        orderBy: [
          ['spend_usd', 'DESC'],
          ['feature', 'ASC'],
          ['ns_workload', 'ASC'],
        ],
        limit: 20,
      }),
      unit: 'short',
      width: 12,
      overrides: [unitOverride('spend_usd', 'currencyUSD'), unitOverride('share', 'percentunit')],
    }),
    table({
      title: 'Cache savings per model',
      description: 'Cached input tokens and the USD they saved, per final provider/model.',
      sql: select({
        from: aiCalls,
        select: {
          model,
          cached_tokens: fn.sum(c.cache_read_tokens),
          saved_usd: fn.sum(cacheSavings),
          priced: sql`toBool(${isPricedModel(c.final_model)})`,
        },
        where: [...ledgerFilters(), sql`${c.cache_read_tokens} > 0`],
        groupBy: ['model', 'priced'],
        orderBy: [
          ['saved_usd', 'DESC'],
          ['model', 'ASC'],
        ],
      }),
      unit: 'short',
      width: 12,
      overrides: [unitOverride('saved_usd', 'currencyUSD')],
    }),
  ];

  return addPanels(
    baseDashboard({
      uid: 'switchyard-cost',
      title: 'Switchyard / Cost',
      description: 'What every feature, model, provider and workload spends, from the ClickHouse ledger (ai_calls).',
    }),
    [
      { panels: totals },
      { row: new RowBuilder('Spend over time'), panels: overTime },
      { row: new RowBuilder('Breakdown'), panels: breakdown },
    ],
  ).build();
}
