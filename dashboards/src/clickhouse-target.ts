import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import { CLICKHOUSE_DS } from './constants.js';
import type { Expr } from './sql/expr.js';

/**
 * The grafana-clickhouse-datasource (v4) query model. The foundation SDK ships no ClickHouse
 * dataquery, so this is its typed builder. `format` is sqlutil's FormatQueryOption:
 * 0 time series (long → wide), 1 table, 3 trace.
 */
export type ClickHouseQueryType = 'timeseries' | 'table' | 'traces';

export interface ClickHouseQuery extends cog.Dataquery {
  refId: string;
  datasource: { type: string; uid: string };
  editorType: 'sql';
  queryType: ClickHouseQueryType;
  format: 0 | 1 | 3;
  rawSql: string;
}

const FORMAT: Record<ClickHouseQueryType, ClickHouseQuery['format']> = { timeseries: 0, table: 1, traces: 3 };

export class ClickHouseQueryBuilder implements cog.Builder<cog.Dataquery> {
  private readonly internal: ClickHouseQuery;

  constructor(args: { refId?: string; queryType: ClickHouseQueryType; sql: Expr }) {
    this.internal = {
      refId: args.refId ?? 'A',
      datasource: { ...CLICKHOUSE_DS },
      editorType: 'sql',
      queryType: args.queryType,
      format: FORMAT[args.queryType],
      rawSql: args.sql.sql,
      _implementsDataqueryVariant: () => {},
    };
  }

  build(): ClickHouseQuery {
    return this.internal;
  }
}

export const timeseriesQuery = (sql: Expr, refId?: string) =>
  new ClickHouseQueryBuilder({ queryType: 'timeseries', sql, ...(refId ? { refId } : {}) });
export const tableQuery = (sql: Expr, refId?: string) =>
  new ClickHouseQueryBuilder({ queryType: 'table', sql, ...(refId ? { refId } : {}) });
