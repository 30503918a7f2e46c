import { DashboardBuilder, DashboardCursorSync, type RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { variableBuilders } from '../variables.js';

/** What every Switchyard dashboard shares: tags, time range, refresh, the four variables. */
export function baseDashboard(args: { uid: string; title: string; description: string }): DashboardBuilder {
  const builder = new DashboardBuilder(args.title)
    .uid(args.uid)
    .description(args.description)
    .tags(['switchyard', 'ai-gateway'])
    .timezone('utc')
    .time({ from: 'now-24h', to: 'now' })
    .refresh('1m')
    .tooltip(DashboardCursorSync.Crosshair)
    .readonly();
  for (const v of variableBuilders()) builder.withVariable(v);
  return builder;
}

export function addPanels(
  builder: DashboardBuilder,
  sections: { row?: RowBuilder; panels: cog.Builder<dashboard.Panel>[] }[],
): DashboardBuilder {
  for (const section of sections) {
    if (section.row) builder.withRow(section.row);
    for (const p of section.panels) builder.withPanel(p);
  }
  return builder;
}
