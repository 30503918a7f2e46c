/** Query results → an aligned text table, CSV (RFC 4180) or JSON, for `switchyard sql` and `cost`. */
export type OutputFormat = 'table' | 'csv' | 'json';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'csv', 'json'];

export interface ResultColumn {
  name: string;
  type: string;
}

export type ResultRow = Record<string, unknown>;

const NUMERIC = /^(Nullable\()?(U?Int|Float|Decimal)/;

function cell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

export function formatTable(columns: readonly ResultColumn[], rows: readonly ResultRow[]): string {
  const texts = rows.map((r) => columns.map((c) => cell(r[c.name])));
  const widths = columns.map((c, i) => Math.max(c.name.length, ...texts.map((t) => (t[i] as string).length)));
  const numeric = columns.map((c) => NUMERIC.test(c.type));
  const line = (values: string[]) =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i] as number) : v.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  const out = [line(columns.map((c) => c.name)), widths.map((w) => '-'.repeat(w)).join('  '), ...texts.map(line)];
  out.push(`(${rows.length} row${rows.length === 1 ? '' : 's'})`);
  return `${out.join('\n')}\n`;
}

function csvField(v: unknown): string {
  const s = v === null || v === undefined ? '' : cell(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatCsv(columns: readonly ResultColumn[], rows: readonly ResultRow[]): string {
  const lines = [columns.map((c) => csvField(c.name)).join(','), ...rows.map((r) => columns.map((c) => csvField(r[c.name])).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}

export function formatJson(columns: readonly ResultColumn[], rows: readonly ResultRow[]): string {
  const ordered = rows.map((r) => Object.fromEntries(columns.map((c) => [c.name, r[c.name] ?? null])));
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

export function formatRows(format: OutputFormat, columns: readonly ResultColumn[], rows: readonly ResultRow[]): string {
  if (format === 'csv') return formatCsv(columns, rows);
  if (format === 'json') return formatJson(columns, rows);
  return formatTable(columns, rows);
}
