import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { costDashboard } from './boards/cost.js';
import { type DemoLedgerRow, runSimulatorDemo } from './demo/simulator-demo.js';
import { type ExpandContext, expandMacros } from './sql/expand-macros.js';

/**
 * docs/images/cost-per-feature.svg, from real data. Two steps, both in this file:
 *
 * 1. `npx tsx dashboards/src/render-cost-chart.ts [--seconds 60]` makes a demo run
 *    (demo/simulator-demo.ts: ClickHouse + a sidecar on the local simulator + openai SDK traffic),
 *    runs the Cost dashboard's "Spend per feature" SQL over the ledger (macros expanded as Grafana
 *    would), and commits both the ledger rows and the query result as
 *    docs/images/cost-per-feature.json (the snapshot), then draws the SVG from it.
 * 2. `--from-snapshot` only redraws the SVG from the committed snapshot (no run).
 *
 * The SQL test loads the snapshot's ledger into ClickHouse, runs the panel SQL again, and checks
 * that it returns the snapshot's rows and that the SVG is their rendering.
 */
const IMAGES = join(dirname(fileURLToPath(import.meta.url)), '../../docs/images');
export const CHART_SVG_PATH = join(IMAGES, 'cost-per-feature.svg');
export const CHART_SNAPSHOT_PATH = join(IMAGES, 'cost-per-feature.json');
const COLORS = ['#3274d9', '#ff9830', '#56a64b', '#a352cc', '#e02f44', '#8ab8ff'];
const PANEL = 'Spend per feature';

export interface ChartPoint {
  time: string;
  feature: string;
  spend_usd: number;
}

/** What a demo run leaves behind: the ledger rows and what the panel SQL returned over them. */
export interface ChartSnapshot {
  about: string;
  calls: number;
  context: Omit<ExpandContext, 'from' | 'to'> & { from: string; to: string };
  ledger: DemoLedgerRow[];
  rows: ChartPoint[];
}

/** The panel's SQL, macros unexpanded, as it is in the generated dashboard. */
export function chartSql(): string {
  const panel = costDashboard().panels?.find((p) => p.title === PANEL);
  const sql = panel && 'targets' in panel ? (panel.targets?.[0] as { rawSql?: string } | undefined)?.rawSql : undefined;
  if (!sql) throw new Error(`no panel ${PANEL}`);
  return sql;
}

function usd(v: number, step: number): string {
  const decimals = Math.max(2, Math.min(6, -Math.floor(Math.log10(step)) + 1));
  return `$${v.toFixed(decimals)}`;
}

export function renderSvg(snapshot: ChartSnapshot): string {
  const points = snapshot.rows;
  const times = [...new Set(points.map((p) => p.time))].sort();
  const features = [...new Set(points.map((p) => p.feature))].sort();
  const W = 760;
  const H = 360;
  const left = 72;
  const top = 48;
  const plotW = W - left - 200;
  const plotH = H - top - 56;
  const totals = times.map((t) => points.filter((p) => p.time === t).reduce((s, p) => s + p.spend_usd, 0));
  const max = Math.max(...totals, 1e-6);
  const step = niceStep(max / 4);
  const yMax = Math.ceil(max / step) * step;
  const slot = plotW / Math.max(times.length, 1);
  const barW = slot * 0.7;
  const y = (v: number) => top + plotH - (v / yMax) * plotH;
  const labelEvery = Math.ceil(times.length / 8);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${left}" y="24" font-size="16" font-weight="bold">${PANEL} (USD per ${snapshot.context.intervalSeconds} s)</text>`,
    `<text x="${left}" y="40" fill="#555">switchyard.ai_calls after a ${snapshot.calls}-call demo run on the local simulator (simulated prices)</text>`,
  ];
  for (let i = 0; i * step <= yMax + step / 1e6; i++) {
    const v = i * step;
    out.push(`<line x1="${left}" x2="${left + plotW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#555">${usd(v, step)}</text>`);
  }
  times.forEach((t, i) => {
    let base = 0;
    const x = left + i * slot + (slot - barW) / 2;
    features.forEach((f, j) => {
      const v = points.find((p) => p.time === t && p.feature === f)?.spend_usd ?? 0;
      if (v <= 0) return;
      out.push(
        `<rect x="${x.toFixed(1)}" y="${y(base + v).toFixed(1)}" width="${barW.toFixed(1)}" height="${(y(base) - y(base + v)).toFixed(1)}" fill="${COLORS[j % COLORS.length]}"><title>${f} ${t}: $${v.toFixed(6)}</title></rect>`,
      );
      base += v;
    });
    if (i % labelEvery === 0) {
      out.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${top + plotH + 16}" text-anchor="middle" fill="#555">${t.slice(11, 19)}</text>`);
    }
  });
  out.push(`<text x="${left + plotW / 2}" y="${H - 12}" text-anchor="middle" fill="#555">time (UTC)</text>`);
  features.forEach((f, j) => {
    const total = points.filter((p) => p.feature === f).reduce((s, p) => s + p.spend_usd, 0);
    const ly = top + 8 + j * 22;
    out.push(`<rect x="${left + plotW + 20}" y="${ly - 10}" width="12" height="12" fill="${COLORS[j % COLORS.length]}"/>`);
    out.push(`<text x="${left + plotW + 38}" y="${ly}">${f} ($${total.toFixed(4)})</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function niceStep(raw: number): number {
  const mag = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
}

/** One ledger row per line, so a new run is a readable diff. */
export function formatSnapshot(s: ChartSnapshot): string {
  const lines = (xs: unknown[]) => xs.map((x) => `    ${JSON.stringify(x)}`).join(',\n');
  return `{
  "about": ${JSON.stringify(s.about)},
  "calls": ${s.calls},
  "context": ${JSON.stringify(s.context)},
  "rows": [
${lines(s.rows)}
  ],
  "ledger": [
${lines(s.ledger)}
  ]
}
`;
}

async function demoSnapshot(seconds: number): Promise<ChartSnapshot> {
  const run = await runSimulatorDemo({ seconds, log: (l) => console.log(l) });
  try {
    const intervalSeconds = Math.max(1, Math.round(seconds / 12));
    const from = new Date(Math.floor(run.startMs / 1000) * 1000);
    const to = new Date(Math.ceil(run.endMs / 1000) * 1000);
    const variables = { feature: 'All', provider: 'All', model: 'All', namespace: 'All' } as const;
    const rows = await run.query<ChartPoint>(expandMacros(chartSql(), { from, to, intervalSeconds, variables }));
    return {
      about:
        'A demo run of dashboards/src/render-cost-chart.ts: the ledger rows (the columns the panel reads) a sidecar on the local simulator wrote, and what the Cost dashboard\'s "Spend per feature" SQL returned over them. docs/images/cost-per-feature.svg draws "rows".',
      calls: run.calls,
      context: { from: from.toISOString(), to: to.toISOString(), intervalSeconds, variables },
      ledger: run.ledger,
      rows,
    };
  } finally {
    await run.close();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let snapshot: ChartSnapshot;
  if (args.includes('--from-snapshot')) {
    snapshot = JSON.parse(readFileSync(CHART_SNAPSHOT_PATH, 'utf8')) as ChartSnapshot;
  } else {
    const i = args.indexOf('--seconds');
    snapshot = await demoSnapshot(i >= 0 ? Number(args[i + 1]) : 60);
    writeFileSync(CHART_SNAPSHOT_PATH, formatSnapshot(snapshot));
    console.log(`wrote ${CHART_SNAPSHOT_PATH}: ${snapshot.ledger.length} ledger rows, ${snapshot.rows.length} points`);
  }
  writeFileSync(CHART_SVG_PATH, renderSvg(snapshot));
  console.log(`wrote ${CHART_SVG_PATH}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
