import * as common from '@grafana/grafana-foundation-sdk/common';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { tableQuery, timeseriesQuery } from './clickhouse-target.js';
import type { Expr } from './sql/expr.js';

/**
 * Panel factories over the foundation SDK builders. Each takes one object: title, what it
 * shows, the query, the unit and the grid size.
 */
export interface PanelSpec {
  title: string;
  description: string;
  sql: Expr;
  unit: string;
  width: number;
  height?: number;
}

export function stat(spec: PanelSpec): StatPanel {
  return new StatPanel()
    .title(spec.title)
    .description(spec.description)
    .withTarget(tableQuery(spec.sql))
    .unit(spec.unit)
    .decimals(spec.unit === 'currencyUSD' ? 2 : 1)
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.Value)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .span(spec.width)
    .height(spec.height ?? 4);
}

export function timeseries(spec: PanelSpec & { stacked?: boolean }): TimeseriesPanel {
  const panel = new TimeseriesPanel()
    .title(spec.title)
    .description(spec.description)
    .withTarget(timeseriesQuery(spec.sql))
    .unit(spec.unit)
    .fillOpacity(spec.stacked ? 60 : 10)
    .drawStyle(spec.stacked ? common.GraphDrawStyle.Bars : common.GraphDrawStyle.Line)
    .legend(
      new common.VizLegendOptionsBuilder()
        .displayMode(common.LegendDisplayMode.Table)
        .placement(common.LegendPlacement.Right)
        .showLegend(true)
        .calcs(['sum', 'max']),
    )
    .span(spec.width)
    .height(spec.height ?? 8);
  if (spec.stacked) panel.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  return panel;
}

export interface FieldOverride {
  field: string;
  properties: dashboard.DynamicConfigValue[];
}

export function table(spec: PanelSpec & { overrides?: FieldOverride[] }): TablePanel {
  const panel = new TablePanel()
    .title(spec.title)
    .description(spec.description)
    .withTarget(tableQuery(spec.sql))
    .unit(spec.unit)
    .span(spec.width)
    .height(spec.height ?? 8);
  for (const o of spec.overrides ?? []) panel.overrideByName(o.field, o.properties);
  return panel;
}

/** Per-column unit, for tables that mix money, counts and milliseconds. */
export function unitOverride(field: string, unit: string): FieldOverride {
  return { field, properties: [{ id: 'unit', value: unit }] };
}
