/**
 * Expands Grafana ClickHouse datasource macros and dashboard variables into plain ClickHouse SQL,
 * in the plugin's order, so panel and alert SQL can run against a real server in tests:
 *   1. `$__conditionalAll(cond, $var)` → `1=1` when the variable is All (or empty), else `cond`
 *      (frontend, before variables; src/data/CHDatasource.ts applyConditionalAll);
 *   2. variables: `${var:singlequote}` → `'a','b'`, `${var}` / `$var` → `a,b`;
 *   3. backend macros (pkg/macros/macros.go): `$__timeFilter(c)` → `c >= toDateTime(from) AND
 *      c <= toDateTime(to)`, `$__timeFilter_ms(c)`, `$__timeInterval(c)` →
 *      `toStartOfInterval(toDateTime(c), INTERVAL n second)`, `$__timeInterval_ms(c)`,
 *      `$__fromTime`, `$__toTime` (+ `_ms`), `$__interval_s`.
 * Anything left that looks like a macro or variable is an error, so nothing passes by accident.
 */
export interface ExpandContext {
  from: Date;
  to: Date;
  /** The panel interval Grafana would pick ($__interval), in seconds. */
  intervalSeconds: number;
  /** Selected values per variable; 'All' is Grafana's `$__all`. */
  variables: Record<string, readonly string[] | 'All'>;
  /** Link variables such as `__value.raw` (data links), substituted verbatim. */
  linkValues?: Record<string, string>;
}

const sec = (d: Date) => Math.floor(d.getTime() / 1000);
const dateTime = (d: Date) => `toDateTime(${sec(d)})`;
const dateTime64 = (d: Date) => `fromUnixTimestamp64Milli(${d.getTime()})`;

export function expandMacros(sql: string, ctx: ExpandContext): string {
  let out = applyConditionalAll(sql, ctx);
  out = applyVariables(out, ctx);
  out = applyBackendMacros(out, ctx);
  const leftover = /\$(__\w+|\{[^}]*\}|[A-Za-z_]\w*)/.exec(out);
  if (leftover) throw new Error(`unexpanded macro or variable ${leftover[0]} in:\n${out}`);
  return out;
}

function isAll(ctx: ExpandContext, name: string): boolean {
  const v = ctx.variables[name];
  if (v === undefined) throw new Error(`no value for variable $${name}`);
  return v === 'All' || v.length === 0;
}

/** Arguments of the macro call whose '(' is at `open`, split on top-level commas. */
function macroArgs(sql: string, open: number): { args: string[]; end: number } {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < sql.length; i++) {
    const ch = sql[i];
    if (ch === '(') depth++;
    else if (ch === ')') {
      depth--;
      if (depth === 0) {
        args.push(sql.slice(start, i));
        return { args, end: i + 1 };
      }
    } else if (ch === ',' && depth === 1) {
      args.push(sql.slice(start, i));
      start = i + 1;
    }
  }
  throw new Error(`unbalanced macro call at ${open} in:\n${sql}`);
}

function applyConditionalAll(sql: string, ctx: ExpandContext): string {
  const macro = '$__conditionalAll(';
  let out = sql;
  for (let at = out.lastIndexOf(macro); at !== -1; at = out.lastIndexOf(macro)) {
    const { args, end } = macroArgs(out, at + macro.length - 1);
    if (args.length !== 2) throw new Error(`$__conditionalAll takes 2 arguments, got ${args.length}`);
    const name = /^\s*\$\{?(\w+)\}?\s*$/.exec(args[1] ?? '')?.[1];
    if (!name) throw new Error(`$__conditionalAll second argument must be a variable, got ${args[1]}`);
    out = out.slice(0, at) + (isAll(ctx, name) ? '1=1' : (args[0] ?? '')) + out.slice(end);
  }
  return out;
}

function applyVariables(sql: string, ctx: ExpandContext): string {
  return sql.replace(/\$\{([\w.]+)(?::(\w+))?\}|\$([A-Za-z_]\w*)/g, (whole, braced?: string, format?: string, bare?: string) => {
    const name = braced ?? bare ?? '';
    if (ctx.linkValues && name in ctx.linkValues) return ctx.linkValues[name] ?? '';
    if (!(name in ctx.variables)) return whole;
    if (isAll(ctx, name)) throw new Error(`variable $${name} is All outside $__conditionalAll`);
    const values = ctx.variables[name] as readonly string[];
    if (format === 'singlequote') return values.map((v) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`).join(',');
    if (format === undefined || format === 'csv') return values.join(',');
    throw new Error(`unsupported variable format ${format}`);
  });
}

function applyBackendMacros(sql: string, ctx: ExpandContext): string {
  const interval = Math.max(Math.floor(ctx.intervalSeconds), 1);
  const withArg: Record<string, (arg: string) => string> = {
    timeFilter: (c) => `${c} >= ${dateTime(ctx.from)} AND ${c} <= ${dateTime(ctx.to)}`,
    timeFilter_ms: (c) => `${c} >= ${dateTime64(ctx.from)} AND ${c} <= ${dateTime64(ctx.to)}`,
    timeInterval: (c) => `toStartOfInterval(toDateTime(${c}), INTERVAL ${interval} second)`,
    timeInterval_ms: (c) => `toStartOfInterval(toDateTime64(${c}, 3), INTERVAL ${interval * 1000} millisecond)`,
  };
  const plain: Record<string, string> = {
    fromTime_ms: dateTime64(ctx.from),
    toTime_ms: dateTime64(ctx.to),
    fromTime: dateTime(ctx.from),
    toTime: dateTime(ctx.to),
    interval_s: String(interval),
  };
  let out = sql;
  for (let m = /\$__(\w+)\(/.exec(out); m; m = /\$__(\w+)\(/.exec(out)) {
    const fn = withArg[m[1] ?? ''];
    if (!fn) throw new Error(`unknown macro $__${m[1]}(`);
    const { args, end } = macroArgs(out, m.index + m[0].length - 1);
    if (args.length !== 1) throw new Error(`$__${m[1]} takes 1 argument, got ${args.length}`);
    out = out.slice(0, m.index) + fn((args[0] ?? '').trim()) + out.slice(end);
  }
  return out.replace(/\$__(fromTime_ms|toTime_ms|fromTime|toTime|interval_s)\b/g, (_, name: string) => plain[name] ?? '');
}
