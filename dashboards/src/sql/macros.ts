import { Expr } from './expr.js';

/**
 * The Grafana ClickHouse datasource macros (grafana-clickhouse-datasource v4), written as typed
 * helpers so a query never misspells one. `expand-macros.ts` turns them into plain SQL the way
 * the plugin does, for the SQL tests.
 */
export const macro = {
  /** `col >= toDateTime(from) AND col <= toDateTime(to)` */
  timeFilter: (column: Expr) => new Expr(`$__timeFilter(${column.sql})`),
  /** `toStartOfInterval(toDateTime(col), INTERVAL <panel interval> second)` */
  timeInterval: (column: Expr) => new Expr(`$__timeInterval(${column.sql})`),
  /** `toDateTime(<from, unix seconds>)` */
  fromTime: () => new Expr('$__fromTime'),
  /** `toDateTime(<to, unix seconds>)` */
  toTime: () => new Expr('$__toTime'),
  /** The panel interval in whole seconds. */
  intervalSeconds: () => new Expr('$__interval_s'),
  /** `cond` unless the variable is All (or empty); then `1=1`. Applied by the plugin before variables. */
  conditionalAll: (cond: Expr, variable: string) => new Expr(`$__conditionalAll(${cond.sql}, $${variable})`),
  /** A dashboard variable as a list of quoted strings: `'a','b'`. */
  variableList: (variable: string) => new Expr(`\${${variable}:singlequote}`),
};

/** `column IN (<selected values>)`, dropped entirely when the variable is All. */
export function inVariable(column: Expr, variable: string): Expr {
  return macro.conditionalAll(new Expr(`${column.sql} IN (${macro.variableList(variable).sql})`), variable);
}
