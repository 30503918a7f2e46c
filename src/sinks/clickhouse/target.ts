import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ClickHouseSettings } from './settings.js';

/**
 * Where ClickHouse is: a server over HTTP (`url`, else CLICKHOUSE_URL) or an embedded chDB data
 * dir. Credentials are split out of the URL so `label` (used in logs and errors) never holds them.
 */
export type ClickHouseTarget =
  | { kind: 'http'; url: string; username?: string; password?: string; label: string }
  | { kind: 'embedded'; path: string; label: string };

type TargetSettings = Pick<ClickHouseSettings, 'url' | 'path' | 'username' | 'password' | 'password_file'>;

function readPasswordFile(file: string): string {
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new Error(`cannot read telemetry.clickhouse.password_file ${file} (${code})`);
  }
}

export function resolveTarget(settings: TargetSettings, env: NodeJS.ProcessEnv = process.env): ClickHouseTarget {
  const raw = settings.url ?? (env.CLICKHOUSE_URL || undefined);
  if (raw === undefined) {
    const path = resolve(settings.path);
    return { kind: 'embedded', path, label: `embedded chDB at ${path}` };
  }
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new Error(`ClickHouse URL is not a valid URL (from ${settings.url ? 'telemetry.clickhouse.url' : 'CLICKHOUSE_URL'})`);
  }
  let username = settings.username ?? (decodeURIComponent(parsed.username) || undefined);
  let password = settings.password ?? (decodeURIComponent(parsed.password) || undefined);
  if (settings.password_file !== undefined) password = readPasswordFile(settings.password_file);
  if (username === undefined && env.CLICKHOUSE_USER) username = env.CLICKHOUSE_USER;
  if (password === undefined && env.CLICKHOUSE_PASSWORD) password = env.CLICKHOUSE_PASSWORD;
  parsed.username = '';
  parsed.password = '';
  const url = parsed.toString().replace(/\/$/, '');
  const target: ClickHouseTarget = { kind: 'http', url, label: url };
  if (username !== undefined) target.username = username;
  if (password !== undefined) target.password = password;
  return target;
}
