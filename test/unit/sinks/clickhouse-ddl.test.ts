import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AI_CALLS_COLUMNS } from '../../../src/sinks/clickhouse/ddl/ai-calls.js';
import { allStatements, MIGRATIONS } from '../../../src/sinks/clickhouse/migrations.js';
import { aiCallsInColumnNames } from '../../../src/sinks/clickhouse/ddl/ai-calls-in.js';
import { aiCallsInV2ColumnNames } from '../../../src/sinks/clickhouse/ddl/ai-calls-in-v2.js';
import { insertQuery } from '../../../src/sinks/clickhouse/pipeline/insert-batch.js';

const LEDGER_COLUMNS = [
  'call_id',
  'ts',
  'trace_id',
  'span_id',
  'feature',
  'route',
  'operation',
  'path',
  'streamed',
  'requested_model',
  'final_provider',
  'final_model',
  'outcome',
  'error_type',
  'http_status',
  'attempt_count',
  'retry_count',
  'fallback_path',
  'fallback_path_str',
  'latency_ms',
  'ttfc_ms',
  'overhead_ms',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'reasoning_tokens',
  'cost_usd',
  'price_table_version',
  'config_hash',
  'service',
  'namespace',
  'pod',
  'workload',
];

test('ai_calls has exactly the public column names, in order', () => {
  const names = AI_CALLS_COLUMNS.split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('INDEX'))
    .map((l) => l.split(' ')[0]);
  assert.deepEqual(names, LEDGER_COLUMNS);
});

test('migration versions are 1..n with unique names', () => {
  assert.deepEqual(
    MIGRATIONS.map((m) => m.version),
    MIGRATIONS.map((_, i) => i + 1),
  );
  assert.equal(new Set(MIGRATIONS.map((m) => m.name)).size, MIGRATIONS.length);
});

test('single node: plain engines, no ON CLUSTER, no Distributed, TTL only when asked', () => {
  const sql = allStatements({ database: 'switchyard' }).join(';\n');
  assert.doesNotMatch(sql, /ON CLUSTER|Replicated|Distributed|TTL /);
  assert.match(sql, /CREATE TABLE IF NOT EXISTS `switchyard`\.`ai_calls`\n\(/);
  assert.match(
    sql,
    /ENGINE = ReplacingMergeTree\nPARTITION BY toYYYYMM\(ts\)\nORDER BY \(feature, toStartOfHour\(ts\), call_id\)\nSETTINGS non_replicated_deduplication_window = 10000/,
  );
  const withTtl = allStatements({ database: 'switchyard', ttlDays: 90 }).join(';\n');
  assert.equal(withTtl.match(/TTL toDateTime\(ts\) \+ toIntervalDay\(90\)/g)?.length, 2);
  assert.match(withTtl, /TTL toDateTime\(Timestamp\) \+ toIntervalDay\(90\)/);
  assert.match(withTtl, /TTL toDateTime\(Start\) \+ toIntervalDay\(90\)/);
});

test('cluster: every statement ON CLUSTER, Replicated local tables, Distributed public names', () => {
  const statements = allStatements({ database: 'switchyard', cluster: 'ledger' });
  for (const s of statements) assert.match(s, /ON CLUSTER `ledger`/, s.split('\n')[0]);
  const sql = statements.join(';\n');
  assert.match(sql, /CREATE DATABASE IF NOT EXISTS `switchyard` ON CLUSTER `ledger`/);
  assert.match(
    sql,
    /`schema_migrations` ON CLUSTER `ledger`\n.*\nENGINE = ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/all\/\{database\}\/\{table\}', '\{replica\}'\)/,
  );
  assert.match(
    sql,
    /CREATE TABLE IF NOT EXISTS `switchyard`\.`ai_calls_local` ON CLUSTER `ledger`\n\([\s\S]*?\)\nENGINE = ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/\{shard\}\/\{database\}\/\{table\}', '\{replica\}'\)/,
  );
  assert.ok(
    statements.includes(
      'CREATE TABLE IF NOT EXISTS `switchyard`.`ai_calls` ON CLUSTER `ledger` AS `switchyard`.`ai_calls_local`\n' +
        "ENGINE = Distributed('ledger', 'switchyard', 'ai_calls_local', cityHash64(call_id))",
    ),
  );
  const keys: [string, string][] = [
    ['ai_attempts', 'cityHash64(call_id)'],
    ['otel_traces', 'cityHash64(TraceId)'],
    ['ai_calls_hourly', 'rand()'],
  ];
  for (const [table, key] of keys) {
    assert.match(sql, new RegExp(`ENGINE = Distributed\\('ledger', 'switchyard', '${table}_local', ${key.replace(/[()]/g, '\\$&')}\\)`));
  }
  assert.match(sql, /ENGINE = ReplicatedMergeTree\('\/clickhouse\/tables\/\{shard\}[^)]*\)\nPARTITION BY toDate\(Timestamp\)/);
  assert.match(sql, /ENGINE = ReplicatedAggregatingMergeTree\([^)]*\)\nPARTITION BY toYYYYMM\(hour\)/);
  // Views read and write the local tables, so each node aggregates its own shard.
  assert.match(
    sql,
    /`ai_calls_hourly_local_mv` ON CLUSTER `ledger`\nTO `switchyard`\.`ai_calls_hourly_local`[\s\S]*FROM `switchyard`\.`ai_calls_local`/,
  );
  assert.match(
    sql,
    /`otel_traces_trace_id_ts_local_mv` ON CLUSTER `ledger`\nTO `switchyard`\.`otel_traces_trace_id_ts_local`[\s\S]*FROM `switchyard`\.`otel_traces_local`/,
  );
  // ai_calls_in and ai_calls_in_v2: a Null table on every node behind a Distributed one (sharded
  // like the ledger); their views read each node's Null table and write that node's local tables.
  for (const input of ['ai_calls_in', 'ai_calls_in_v2']) {
    assert.match(
      sql,
      new RegExp(`CREATE TABLE IF NOT EXISTS \`switchyard\`\\.\`${input}_local\` ON CLUSTER \`ledger\`\n\\([\\s\\S]*?\\)\nENGINE = Null`),
    );
    assert.match(sql, new RegExp(`ENGINE = Distributed\\('ledger', 'switchyard', '${input}_local', cityHash64\\(call_id\\)\\)`));
    for (const [view, target] of [
      ['calls', 'ai_calls'],
      ['attempts', 'ai_attempts'],
      ['spans', 'otel_traces'],
    ]) {
      assert.match(
        sql,
        new RegExp(
          `\`${input}_local_${view}_mv\` ON CLUSTER \`ledger\`\nTO \`switchyard\`\\.\`${target}_local\`[\\s\\S]*?FROM \`switchyard\`\\.\`${input}_local\`\n`,
        ),
      );
    }
  }
  assert.doesNotMatch(sql, /Distributed\('ledger', 'switchyard', 'schema_migrations/);
});

test('inserts: JSONEachRow by default; a JSONCompactEachRow batch names the ai_calls_in(_v2) columns in order', () => {
  const ctx = { database: 'switchyard' };
  const body = Buffer.from('[]\n');
  for (const [table, names] of [
    ['ai_calls_in_v2', aiCallsInV2ColumnNames()],
    ['ai_calls_in', aiCallsInColumnNames()],
  ] as const) {
    const batch = { seq: 1, table, rows: 1, body, bytes: body.length, token: 't' };
    assert.equal(insertQuery(ctx, batch), `INSERT INTO \`switchyard\`.\`${table}\` FORMAT JSONEachRow`);
    const compact = insertQuery(ctx, { ...batch, format: 'JSONCompactEachRow' });
    const m = new RegExp(`^INSERT INTO \`switchyard\`\\.\`${table}\` \\((.+)\\) FORMAT JSONCompactEachRow$`).exec(compact);
    assert.ok(m, compact);
    assert.deepEqual(
      (m[1] as string).split(', ').map((c) => c.replace(/`/g, '')),
      names,
    );
    // the columns are those of the table the migration creates, in its order
    const ddl = allStatements(ctx).find((q) => q.startsWith(`CREATE TABLE IF NOT EXISTS \`switchyard\`.\`${table}\``)) as string;
    assert.match(ddl, /ENGINE = Null$/);
    const created = ddl
      .slice(ddl.indexOf('(') + 1, ddl.lastIndexOf(')'))
      .split(',\n')
      .map((l) => l.trim().split(' ')[0]);
    assert.deepEqual(created, names);
  }
  const batch = { seq: 1, table: 'ai_calls_in' as const, rows: 1, body, bytes: body.length, token: 't' };
  assert.throws(
    () => insertQuery(ctx, { ...batch, table: 'otel_traces', format: 'JSONCompactEachRow' }),
    /no JSONCompactEachRow column list/,
  );
});
