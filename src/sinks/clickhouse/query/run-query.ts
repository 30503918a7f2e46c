import type { ClickHouseClient } from '@clickhouse/client';
import type { ResultColumn, ResultRow } from './format-rows.js';

/** Runs one read query and returns its column names and types with the rows (format JSON). */
export async function runQuery(
  client: ClickHouseClient,
  query: string,
  params?: Record<string, unknown>,
): Promise<{ columns: ResultColumn[]; rows: ResultRow[] }> {
  const rs = await client.query({ query, format: 'JSON', ...(params ? { query_params: params } : {}) });
  const body = await rs.json<ResultRow>();
  return { columns: body.meta ?? [], rows: body.data };
}
