import { QueryBuilder, RuleBuilder } from '@grafana/grafana-foundation-sdk/alerting';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import { TypeReduceBuilder, TypeThresholdBuilder } from '@grafana/grafana-foundation-sdk/expr';
import { ClickHouseQueryBuilder } from '../clickhouse-target.js';
import { ALERT_FOLDER_UID, CLICKHOUSE_DS, EXPRESSION_DS } from '../constants.js';
import type { Expr } from '../sql/expr.js';

/**
 * One alert rule = query A (a datasource query over a relative time range) → B = reduce(A, last)
 * → C = threshold(B). A table result is one alert instance per row: string columns become labels.
 */
export interface RuleSpec {
  uid: string;
  title: string;
  group: string;
  source: { kind: 'clickhouse'; sql: Expr } | { kind: 'datasource'; uid: string; model: cog.Builder<cog.Dataquery> };
  /** Seconds back from now that query A covers. */
  rangeSeconds: number;
  above: number;
  for: string;
  labels: Record<string, string>;
  summary: string;
  description: string;
  noData: 'OK' | 'NoData' | 'Alerting';
}

export function buildRule(spec: RuleSpec): RuleBuilder {
  const queryA =
    spec.source.kind === 'clickhouse'
      ? new QueryBuilder('A')
          .datasourceUid(CLICKHOUSE_DS.uid)
          .model(new ClickHouseQueryBuilder({ refId: 'A', queryType: 'table', sql: spec.source.sql }))
      : new QueryBuilder('A').datasourceUid(spec.source.uid).model(spec.source.model);
  const reduce = new TypeReduceBuilder()
    .refId('B')
    .datasource({ ...EXPRESSION_DS })
    .expression('A')
    .reducer('last')
    .settings({ mode: 'dropNN' });
  const threshold = new TypeThresholdBuilder()
    .refId('C')
    .datasource({ ...EXPRESSION_DS })
    .expression('B')
    .conditions([{ evaluator: { type: 'gt', params: [spec.above] } }]);
  return new RuleBuilder(spec.title)
    .uid(spec.uid)
    .ruleGroup(spec.group)
    .folderUID(ALERT_FOLDER_UID)
    .orgID(1)
    .condition('C')
    .queries([
      queryA.relativeTimeRange({ from: spec.rangeSeconds, to: 0 }),
      new QueryBuilder('B').datasourceUid(EXPRESSION_DS.uid).model(reduce).relativeTimeRange({ from: 0, to: 0 }),
      new QueryBuilder('C').datasourceUid(EXPRESSION_DS.uid).model(threshold).relativeTimeRange({ from: 0, to: 0 }),
    ])
    .noDataState(spec.noData)
    .execErrState('Error')
    .forDuration(spec.for)
    .labels(spec.labels)
    .annotations({ summary: spec.summary, description: spec.description })
    .isPaused(false);
}
