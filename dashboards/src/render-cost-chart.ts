import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@clickhouse/client';
import { CLIENT_SETTINGS } from '../../src/sinks/clickhouse/open-client.js';
import { freePort, startLocalClickHouse } from '../../src/sinks/clickhouse/local-server.js';
import { costDashboard } from './boards/cost.js';
import { DEMO_END_MS, DEMO_START_MS, demoTraffic } from './demo/demo-traffic.js';
import { seedClickHouse } from './demo/seed-clickhouse.js';
import { expandMacros } from './sql/expand-macros.js';

/**
 * Renders docs/images/cost-per-feature.svg from real data: starts a local ClickHouse, seeds it with
 * the demo traffic through the ledger's migrations and row mapper, runs the Cost dashboard's
 * "Spend per feature" SQL (macros expanded as Grafana would), and draws the rows as stacked bars.
 * Run: npx tsx dashboards/src/render-cost-chart.ts
 */
const OUT = join(dirname(fileURLToPath(import.meta.url)), '../../docs/images/cost-per-feature.svg');
const COLORS = ['#3274d9', '#ff9830', '#56a64b', '#a352cc', '#e02f44', '#8ab8ff'];

interface Point {
  time: string;
  feature: string;
  spend_usd: number;
}

export function panelSql(title: string): string {
  const panel = costDashboard().panels?.find((p) => p.title === title);
  const sql = panel && 'targets' in panel ? (panel.targets?.[0] as { rawSql?: string } | undefined)?.rawSql : undefined;
  if (!sql) throw new Error(`no panel ${title}`);
  return sql;
}

export function renderSvg(points: Point[]): string {
  const times = [...new Set(points.map((p) => p.time))].sort();
  const features = [...new Set(points.map((p) => p.feature))].sort();
  const W = 760;
  const H = 360;
  const left = 64;
  const top = 48;
  const plotW = W - left - 180;
  const plotH = H - top - 56;
  const totals = times.map((t) => points.filter((p) => p.time === t).reduce((s, p) => s + p.spend_usd, 0));
  const max = Math.max(...totals, 0.01);
  const step = niceStep(max / 4);
  const yMax = Math.ceil(max / step) * step;
  const slot = plotW / times.length;
  const barW = slot * 0.7;
  const y = (v: number) => top + plotH - (v / yMax) * plotH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${left}" y="24" font-size="16" font-weight="bold">Spend per feature (USD per 15 min)</text>`,
    `<text x="${left}" y="40" fill="#555">switchyard.ai_calls, demo run: ${points.length} series points from the Cost dashboard's SQL</text>`,
  ];
  for (let v = 0; v <= yMax + 1e-9; v += step) {
    out.push(`<line x1="${left}" x2="${left + plotW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#555">$${v.toFixed(2)}</text>`);
  }
  times.forEach((t, i) => {
    let base = 0;
    const x = left + i * slot + (slot - barW) / 2;
    features.forEach((f, j) => {
      const v = points.find((p) => p.time === t && p.feature === f)?.spend_usd ?? 0;
      if (v <= 0) return;
      out.push(
        `<rect x="${x.toFixed(1)}" y="${y(base + v).toFixed(1)}" width="${barW.toFixed(1)}" height="${(y(base) - y(base + v)).toFixed(1)}" fill="${COLORS[j % COLORS.length]}"><title>${f} ${t}: $${v.toFixed(4)}</title></rect>`,
      );
      base += v;
    });
    out.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${top + plotH + 16}" text-anchor="middle" fill="#555">${t.slice(11, 16)}</text>`);
  });
  out.push(`<text x="${left + plotW / 2}" y="${H - 12}" text-anchor="middle" fill="#555">time (UTC)</text>`);
  features.forEach((f, j) => {
    const total = points.filter((p) => p.feature === f).reduce((s, p) => s + p.spend_usd, 0);
    const ly = top + 8 + j * 22;
    out.push(`<rect x="${left + plotW + 20}" y="${ly - 10}" width="12" height="12" fill="${COLORS[j % COLORS.length]}"/>`);
    out.push(`<text x="${left + plotW + 38}" y="${ly}">${f} ($${total.toFixed(2)})</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function niceStep(raw: number): number {
  const mag = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-chart-'));
  const server = await startLocalClickHouse({ dataDir, port: await freePort() });
  const client = createClient({ url: server.url, clickhouse_settings: CLIENT_SETTINGS });
  try {
    await seedClickHouse(client, { records: demoTraffic() });
    const sql = expandMacros(panelSql('Spend per feature'), {
      from: new Date(DEMO_START_MS),
      to: new Date(DEMO_END_MS),
      intervalSeconds: 900,
      variables: { feature: 'All', provider: 'All', model: 'All', namespace: 'All' },
    });
    const rows = await (await client.query({ query: sql, format: 'JSONEachRow' })).json<Point>();
    mkdirSync(dirname(OUT), { recursive: true });
    writeFileSync(OUT, renderSvg(rows));
    console.log(`wrote ${OUT} from ${rows.length} rows`);
  } finally {
    await client.close();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
