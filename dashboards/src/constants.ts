/**
 * Names shared by every dashboard and alert rule: datasource uids (provisioned by
 * deploy/compose/grafana/datasources.yaml), the ClickHouse database and the plugin type ids.
 */
export const CLICKHOUSE_DS = { type: 'grafana-clickhouse-datasource', uid: 'switchyard-clickhouse' } as const;
export const JAEGER_DS = { type: 'jaeger', uid: 'switchyard-jaeger', name: 'Jaeger' } as const;
/** Prometheus scraping the sidecars' /metrics; only the ledger-spool alert uses it (ClickHouse may be down). */
export const PROMETHEUS_DS = { type: 'prometheus', uid: 'switchyard-prometheus' } as const;
/** Grafana's server-side expressions (reduce, threshold, math). */
export const EXPRESSION_DS = { type: '__expr__', uid: '__expr__' } as const;

/** The database the ClickHouse migrations create; every query names its table with it. */
export const DATABASE = 'switchyard';

/** Sidecar metrics the spool alert reads (src/telemetry must export exactly these names). */
export const SPOOL_METRICS = {
  spooledRecords: 'switchyard_ledger_spooled_records',
  droppedTotal: 'switchyard_ledger_spool_dropped_total',
} as const;

export const DASHBOARD_FOLDER = 'Switchyard';
export const ALERT_FOLDER_UID = 'switchyard';
