import type { Table } from './schema.js';

/** A piece of ClickHouse SQL. Built only through the helpers below, so column names are checked. */
export class Expr {
  constructor(readonly sql: string) {}
  toString(): string {
    return this.sql;
  }
}

type Part = Expr | number;

/** Tagged template: interpolates expressions and numbers; literal SQL text stays as written. */
export function sql(strings: TemplateStringsArray, ...parts: Part[]): Expr {
  let out = strings[0] ?? '';
  parts.forEach((part, i) => {
    out += (typeof part === 'number' ? String(part) : part.sql) + (strings[i + 1] ?? '');
  });
  return new Expr(out);
}

/** Column accessor for one table: `cols(aiCalls).cost_usd` fails to compile for unknown columns. */
export function cols<C extends string>(table: Table<C>): Readonly<Record<C, Expr>> {
  const out = {} as Record<C, Expr>;
  for (const name of Object.keys(table.columns) as C[]) out[name] = new Expr(name);
  return out;
}

/** A ClickHouse string literal, quotes and backslashes escaped. */
export function str(value: string): Expr {
  return new Expr(`'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`);
}

export const fn = {
  count: () => new Expr('count()'),
  countIf: (cond: Expr) => sql`countIf(${cond})`,
  sum: (e: Expr) => sql`sum(${e})`,
  sumIf: (e: Expr, cond: Expr) => sql`sumIf(${e}, ${cond})`,
  avg: (e: Expr) => sql`avg(${e})`,
  max: (e: Expr) => sql`max(${e})`,
  quantile: (level: number, e: Expr) => sql`quantile(${level})(${e})`,
  round: (e: Expr, digits: number) => sql`round(${e}, ${digits})`,
  /** a / b, NULL when b is 0 (no division-by-zero infinities on a dashboard). */
  ratio: (a: Expr, b: Expr) => sql`${a} / nullIf(${b}, 0)`,
  ifNull: (e: Expr, fallback: Expr | number) => sql`ifNull(${e}, ${fallback})`,
  and: (...conds: Expr[]) => new Expr(conds.map((c) => `(${c.sql})`).join(' AND ')),
};
