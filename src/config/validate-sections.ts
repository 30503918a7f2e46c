import { clickHouseSettingsSchema } from '../sinks/clickhouse/settings.js';
import type { ConfigProblem } from './config-error.js';
import { formatIssues } from './format-issues.js';
import type { RawConfig } from './schema.js';

/**
 * Sections whose schema lives with the module that owns them (the ClickHouse sink's settings) are
 * validated here, so their problems carry full YAML paths like the rest of the file.
 * `telemetry.clickhouse: false` turns the ledger off.
 */
export function validateSections(raw: RawConfig): ConfigProblem[] {
  const section = raw.telemetry.clickhouse;
  if (section === undefined || section === false) return [];
  const parsed = clickHouseSettingsSchema.safeParse(section ?? {}, { reportInput: true });
  if (parsed.success) return [];
  return formatIssues(clickHouseSettingsSchema, parsed.error.issues).map((p) => ({
    ...p,
    path: p.path ? `telemetry.clickhouse.${p.path}` : 'telemetry.clickhouse',
  }));
}
