import { QueryVariableBuilder, VariableRefresh, VariableSort } from '@grafana/grafana-foundation-sdk/dashboard';
import { CLICKHOUSE_DS } from './constants.js';
import { cols, type Expr } from './sql/expr.js';
import { inVariable, macro } from './sql/macros.js';
import { select } from './sql/query-builder.js';
import { aiCalls, type AiCallsColumn } from './sql/schema.js';

/**
 * The four dashboard variables (feature, provider, model, namespace), each queried from the
 * ledger over the dashboard's time range, multi-select with All. `ledgerFilters()` is the WHERE
 * clause every ledger panel shares.
 */
const c = cols(aiCalls);

export const VARIABLES = [
  { name: 'feature', label: 'Feature', column: 'feature' },
  { name: 'provider', label: 'Provider', column: 'final_provider' },
  { name: 'model', label: 'Model', column: 'final_model' },
  { name: 'namespace', label: 'Namespace', column: 'namespace' },
] as const satisfies readonly { name: string; label: string; column: AiCallsColumn }[];

export type VariableName = (typeof VARIABLES)[number]['name'];

export function variableQuery(column: AiCallsColumn): Expr {
  return select({
    from: aiCalls,
    select: { value: c[column] },
    where: [macro.timeFilter(c.ts)],
    groupBy: ['value'],
    orderBy: [['value', 'ASC']],
  });
}

export function variableBuilders(): QueryVariableBuilder[] {
  return VARIABLES.map((v) =>
    new QueryVariableBuilder(v.name)
      .label(v.label)
      .datasource({ ...CLICKHOUSE_DS })
      .query(variableQuery(v.column).sql)
      .refresh(VariableRefresh.OnTimeRangeChanged)
      .sort(VariableSort.AlphabeticalAsc)
      .multi(true)
      .includeAll(true)
      .current({ text: ['All'], value: ['$__all'], selected: true }),
  );
}

/** Time range plus every variable; `except` leaves one out (a panel split by that dimension). */
export function ledgerFilters(): Expr[] {
  return [macro.timeFilter(c.ts), ...VARIABLES.map((v) => inVariable(c[v.column], v.name))];
}
