import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { BUDGETS } from '../../dashboards/src/budgets.js';
import { CLICKHOUSE_DS, EXPRESSION_DS, PROMETHEUS_DS, SPOOL_METRICS } from '../../dashboards/src/constants.js';
import { DASHBOARDS_DIR, dashboards, renderAll } from '../../dashboards/src/generate.js';
import { cols } from '../../dashboards/src/sql/expr.js';
import { select } from '../../dashboards/src/sql/query-builder.js';
import { aiCalls } from '../../dashboards/src/sql/schema.js';
import type { RuleFile } from '../../dashboards/src/alerts/provisioning-format.js';

/** Generated files match the code byte for byte, the dashboards are typed, and the alerting files are well formed. */

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

test('drift: regenerating in memory gives the committed files, byte for byte, and nothing else', () => {
  const rendered = renderAll();
  for (const [path, content] of Object.entries(rendered)) {
    assert.equal(readFileSync(join(DASHBOARDS_DIR, path), 'utf8'), content, `dashboards/${path} is stale: run npm run dashboards`);
  }
  const onDisk = ['generated', 'provisioning'].flatMap((d) => listFiles(join(DASHBOARDS_DIR, d))).map((f) => relative(DASHBOARDS_DIR, f));
  assert.deepEqual(onDisk.sort(), Object.keys(rendered).sort(), 'no stale generated file');
  assert.deepEqual(renderAll(), rendered, 'deterministic');
});

test('typed: the dashboards and this test type-check under the project settings', () => {
  // The builders' types are dashboard.Dashboard; tsc over dashboards/ (and this file) must pass.
  const boards: Record<string, dashboard.Dashboard> = dashboards();
  assert.equal(Object.keys(boards).length, 3);
  try {
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'dashboards/tsconfig.json'], {
      cwd: join(DASHBOARDS_DIR, '..'),
      stdio: 'pipe',
    });
  } catch (err) {
    assert.fail(`tsc -p dashboards/tsconfig.json:\n${String((err as { stdout?: Buffer }).stdout)}`);
  }
  const c = cols(aiCalls);
  // @ts-expect-error an unknown ledger column does not compile
  void c.not_a_column;
  // @ts-expect-error ORDER BY may only name a selected alias (or an expression)
  select({ from: aiCalls, select: { calls: c.feature }, orderBy: [['nope', 'ASC']] });
  assert.throws(() => select({ from: aiCalls, select: { cost_usd: c.latency_ms } }), /shadows a column/);
});

test('every panel queries the ClickHouse datasource, and every dashboard has the four variables', () => {
  for (const [name, board] of Object.entries(dashboards())) {
    assert.deepEqual(
      board.templating?.list?.map((v) => v.name),
      ['feature', 'provider', 'model', 'namespace'],
      name,
    );
    for (const panel of board.panels ?? []) {
      if (panel.type === 'row' || !('targets' in panel)) continue;
      assert.ok((panel.targets ?? []).length > 0, `${name} / ${panel.title}`);
      for (const t of panel.targets ?? [])
        assert.deepEqual((t as { datasource?: unknown }).datasource, { ...CLICKHOUSE_DS }, `${name} / ${panel.title}`);
    }
  }
});

test('alerting files: Grafana file-provisioning shape, one rule per budget window, safe from env interpolation', () => {
  const files = renderAll();
  const rules = parse(files['provisioning/alerting/rules.yaml'] ?? '') as RuleFile;
  assert.equal(rules.apiVersion, 1);
  const all = rules.groups.flatMap((g) => g.rules);
  const uids = all.map((r) => r.uid);
  assert.equal(new Set(uids).size, uids.length, 'unique uids');
  const budgetRules = all.filter((r) => r.uid.startsWith('sy-budget-'));
  const windows = BUDGETS.reduce((n, b) => n + (b.usdPerHour !== undefined ? 1 : 0) + (b.usdPerDay !== undefined ? 1 : 0), 0);
  assert.equal(budgetRules.length, windows, 'one rule per budget window in budgets.ts');
  for (const g of rules.groups) {
    assert.match(g.interval, /^\d+s$/);
    assert.equal(g.folder, 'Switchyard');
  }
  for (const r of all) {
    assert.ok(r.uid.length <= 40 && /^[a-zA-Z0-9_-]+$/.test(r.uid), r.uid);
    assert.ok(
      r.data.some((d) => d.refId === r.condition),
      `${r.title}: condition names a query`,
    );
    for (const d of r.data) assert.ok([CLICKHOUSE_DS.uid, PROMETHEUS_DS.uid, EXPRESSION_DS.uid].includes(d.datasourceUid as never));
    // Titles and labels go through Grafana's $VAR expansion: no bare `$` there.
    for (const text of [r.title, ...Object.values(r.labels)]) assert.ok(!/\$(?!\$)/.test(text), `unescaped $ in ${text}`);
    // Annotations expand only ${VAR}: templates use {{ $labels.x }} / {{ $values.B.Value }}.
    for (const text of Object.values(r.annotations)) assert.ok(!text.includes('${'), `braced $ in annotation ${text}`);
  }
  const spool = all.find((r) => r.uid === 'sy-ledger-spool-growing');
  assert.match(JSON.stringify(spool?.data[0]?.model), new RegExp(SPOOL_METRICS.spooledRecords));
  assert.equal(spool?.data[0]?.datasourceUid, PROMETHEUS_DS.uid);
  const dropped = all.find((r) => r.uid === 'sy-ledger-spool-dropping');
  assert.match(JSON.stringify(dropped?.data[0]?.model), new RegExp(SPOOL_METRICS.droppedTotal));

  const points = parse(files['provisioning/alerting/contact-points.yaml'] ?? '') as { contactPoints: { name: string }[] };
  const policy = parse(files['provisioning/alerting/policies.yaml'] ?? '') as {
    policies: { receiver: string; routes: { receiver: string; object_matchers: string[][] }[] }[];
  };
  const names = points.contactPoints.map((p) => p.name);
  const root = policy.policies[0];
  assert.ok(root && names.includes(root.receiver));
  for (const route of root.routes) assert.ok(names.includes(route.receiver));
  assert.deepEqual(root.routes[0]?.object_matchers, [['team', '=', 'finops']]);
  assert.ok(
    budgetRules.every((r) => r.labels.team === 'finops'),
    'budget alerts route to FinOps',
  );
});
