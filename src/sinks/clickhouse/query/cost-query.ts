import { quoteIdent } from '../ddl/context.js';

/** `switchyard cost`: spend over the ledger grouped by one dimension, highest first. */
export const COST_DIMENSIONS = {
  feature: 'feature',
  model: 'final_model',
  provider: 'final_provider',
  namespace: 'namespace',
  workload: 'workload',
} as const;
export type CostDimension = keyof typeof COST_DIMENSIONS;

/**
 * No FINAL: every ledger insert carries a dedup token, so a call is stored once (see
 * docs/clickhouse.md). `{since}`/`{until}` are bound as query parameters.
 */
export function costQuery(database: string, by: CostDimension): string {
  return [
    `SELECT c.${COST_DIMENSIONS[by]} AS ${by},`,
    '  count() AS calls,',
    "  countIf(c.outcome = 'error') AS errors,",
    '  round(sum(ifNull(c.cost_usd, 0)), 6) AS cost_usd,',
    '  countIf(c.cost_usd IS NULL) AS unpriced_calls,',
    '  sum(c.input_tokens) AS input_tokens,',
    '  sum(c.output_tokens) AS output_tokens',
    `FROM ${quoteIdent(database)}.ai_calls AS c`,
    "WHERE c.ts >= {since:DateTime64(3, 'UTC')} AND c.ts < {until:DateTime64(3, 'UTC')}",
    `GROUP BY ${by}`,
    `ORDER BY cost_usd DESC, ${by} ASC`,
  ].join('\n');
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `24h`, `30m`, `7d`, `2w` (before `now`), or an ISO date/time. Returns epoch ms. */
export function parseTimeArg(value: string, now: number): number {
  const m = /^(\d+)([smhdw])$/.exec(value.trim());
  if (m) return now - Number(m[1]) * (UNITS[m[2] as string] as number);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new Error(`cannot read time "${value}": use 24h, 30m, 7d, 2w or an ISO date`);
  return t;
}
