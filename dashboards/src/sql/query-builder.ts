import { Expr } from './expr.js';
import type { Table } from './schema.js';

/**
 * A small typed SELECT builder: aliases are typed, GROUP BY / ORDER BY may name only a selected
 * alias or an expression, and the output is one deterministic string.
 */
export type Direction = 'ASC' | 'DESC';

export interface SelectSpec<A extends string> {
  from: Table<string> | Expr;
  select: Record<A, Expr>;
  where?: Expr[];
  groupBy?: (NoInfer<A> | Expr)[];
  having?: Expr[];
  orderBy?: [NoInfer<A> | Expr, Direction][];
  limit?: number;
}

export function select<const A extends string>(spec: SelectSpec<A>): Expr {
  const ref = (x: A | Expr) => (x instanceof Expr ? x.sql : x);
  if (!(spec.from instanceof Expr)) {
    const table = spec.from;
    for (const [alias, e] of Object.entries(spec.select) as [A, Expr][]) {
      // ClickHouse resolves a name to the alias first: `sum(x) AS x` or `length(x)` under `y AS x`
      // would silently read the alias. Keep aliases off column names unless they are that column.
      if (alias in table.columns && e.sql !== alias) throw new Error(`alias ${alias} shadows a column of ${table.name}`);
    }
  }
  const columns = (Object.entries(spec.select) as [A, Expr][]).map(([alias, e]) =>
    e.sql === alias ? `  ${alias}` : `  ${e.sql} AS ${alias}`,
  );
  const from = spec.from instanceof Expr ? `(\n${indent(spec.from.sql)}\n)` : spec.from.name;
  const lines = [`SELECT\n${columns.join(',\n')}`, `FROM ${from}`];
  if (spec.where?.length) lines.push(`WHERE ${spec.where.map((w) => w.sql).join('\n  AND ')}`);
  if (spec.groupBy?.length) lines.push(`GROUP BY ${spec.groupBy.map(ref).join(', ')}`);
  if (spec.having?.length) lines.push(`HAVING ${spec.having.map((w) => w.sql).join(' AND ')}`);
  if (spec.orderBy?.length) lines.push(`ORDER BY ${spec.orderBy.map(([x, d]) => `${ref(x)} ${d}`).join(', ')}`);
  if (spec.limit !== undefined) lines.push(`LIMIT ${spec.limit}`);
  return new Expr(lines.join('\n'));
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
