import { type ClickHouseSettings, parseClickHouseSettings } from './settings.js';

/**
 * Settings for the query commands (`migrate`, `cost`, `sql`): the config's `telemetry.clickhouse`
 * section (if any), then command-line flags on top. With neither a URL nor CLICKHOUSE_URL they
 * use the embedded chDB data dir, like the sidecar.
 */
export const CONNECTION_FLAGS = ['config', 'url', 'database', 'user', 'password-file', 'path'] as const;

export const CONNECTION_USAGE = `Connection (default: the config's telemetry.clickhouse, else CLICKHOUSE_URL, else embedded):
  --config FILE         read telemetry.clickhouse from FILE (default: $SWITCHYARD_CONFIG)
  --url URL             ClickHouse HTTP URL, for example http://127.0.0.1:8123
  --database NAME       default: switchyard
  --user NAME           (or CLICKHOUSE_USER)
  --password-file FILE  (or CLICKHOUSE_PASSWORD)
  --path DIR            embedded chDB data dir (default: ./.switchyard/clickhouse)`;

export function settingsFromCli(section: unknown, flags: Record<string, string | true>): ClickHouseSettings {
  const base: Record<string, unknown> = section && typeof section === 'object' ? { ...(section as object) } : {};
  const str = (k: string) => (typeof flags[k] === 'string' ? (flags[k] as string) : undefined);
  if (str('url') !== undefined) base.url = str('url');
  if (str('database') !== undefined) base.database = str('database');
  if (str('user') !== undefined) base.username = str('user');
  if (str('password-file') !== undefined) {
    base.password_file = str('password-file');
    delete base.password;
  }
  if (str('path') !== undefined) {
    base.path = str('path');
    if (str('url') === undefined) delete base.url;
  }
  return parseClickHouseSettings(base);
}
