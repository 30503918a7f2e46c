import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { aiAttemptsDdl } from './ddl/ai-attempts.js';
import { aiCallsDdl } from './ddl/ai-calls.js';
import { aiCallsInDdl } from './ddl/ai-calls-in.js';
import { aiCallsInV2Ddl } from './ddl/ai-calls-in-v2.js';
import { type DdlContext, engine, onCluster, qualified, quoteIdent } from './ddl/context.js';
import { otelTracesDdl } from './ddl/otel-traces.js';
import { otlpInDdl } from './ddl/otlp-in.js';
import { rollupsDdl } from './ddl/rollups.js';

/**
 * Versioned, idempotent schema migrations, recorded in `<db>.schema_migrations`. Every statement
 * is `IF NOT EXISTS`, so two sidecars migrating at once, or a migration interrupted half way, are
 * both safe to run again. Append new versions; never edit an applied one.
 */
export interface Migration {
  version: number;
  name: string;
  statements(ctx: DdlContext): string[];
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'create_ai_calls', statements: aiCallsDdl },
  { version: 2, name: 'create_ai_attempts', statements: aiAttemptsDdl },
  { version: 3, name: 'create_otel_traces', statements: otelTracesDdl },
  { version: 4, name: 'create_ai_calls_hourly', statements: rollupsDdl },
  { version: 5, name: 'create_ai_calls_in', statements: aiCallsInDdl },
  { version: 6, name: 'create_ai_calls_in_v2', statements: aiCallsInV2Ddl },
  { version: 7, name: 'create_otlp_in', statements: otlpInDdl },
];

export function bootstrapStatements(ctx: DdlContext): string[] {
  return [
    `CREATE DATABASE IF NOT EXISTS ${quoteIdent(ctx.database)}${onCluster(ctx)}`,
    `CREATE TABLE IF NOT EXISTS ${qualified(ctx, 'schema_migrations')}${onCluster(ctx)}\n` +
      "(version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC'))\n" +
      `ENGINE = ${engine(ctx, 'ReplacingMergeTree', { shared: true })}\nORDER BY version`,
  ];
}

/** Every statement `migrate` would run on an empty database, in order (for review and tests). */
export function allStatements(ctx: DdlContext): string[] {
  return [...bootstrapStatements(ctx), ...MIGRATIONS.flatMap((m) => m.statements(ctx))];
}

export function checksum(statements: string[]): string {
  return createHash('sha256').update(statements.join(';\n')).digest('hex').slice(0, 16);
}

export interface MigrateResult {
  applied: { version: number; name: string }[];
  alreadyApplied: number[];
}

export async function migrate(client: ClickHouseClient, ctx: DdlContext): Promise<MigrateResult> {
  for (const sql of bootstrapStatements(ctx)) await client.command({ query: sql });
  const rs = await client.query({
    query: `SELECT version FROM ${qualified(ctx, 'schema_migrations')} FINAL ORDER BY version`,
    format: 'JSONEachRow',
  });
  const done = new Set((await rs.json<{ version: number }>()).map((r) => Number(r.version)));
  const result: MigrateResult = { applied: [], alreadyApplied: [] };
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) {
      result.alreadyApplied.push(m.version);
      continue;
    }
    const statements = m.statements(ctx);
    for (const sql of statements) await client.command({ query: sql });
    await client.insert({
      table: qualified(ctx, 'schema_migrations'),
      format: 'JSONEachRow',
      values: [{ version: m.version, name: m.name, checksum: checksum(statements), applied_at: new Date().toISOString() }],
      clickhouse_settings: { insert_deduplication_token: `migration-${m.version}` },
    });
    result.applied.push({ version: m.version, name: m.name });
  }
  return result;
}
