import { z } from 'zod';

/**
 * The `telemetry.clickhouse` config section. Strict: unknown keys are errors. Where the ledger goes:
 * `url`, else the env var CLICKHOUSE_URL, else an embedded chDB under `path`
 * (default `./.switchyard/clickhouse`). See docs/clickhouse.md for every field and its limits.
 */
const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'expected letters, digits and _ (a ClickHouse identifier)' });
const clusterName = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, { message: 'expected letters, digits, _, . and -' });
const positiveInt = z.number().int().positive();

export const MIB = 1024 * 1024;

export const clickHouseBatchSchema = z
  .strictObject({
    /**
     * Rows per insert (per table). Large by default: ClickHouse pays a fixed cost per insert (a new
     * part to merge later, the rollup views' aggregation): an `ai_calls` row cost its server 9.3 µs
     * in inserts of 2,000 rows and 3.8 µs in inserts of 20,000 (docs/clickhouse.md, Batching).
     * The span ledger's batches (calls) may run over by one run of spans from the OTLP batcher.
     */
    max_rows: positiveInt.max(100_000).default(10_000),
    /** Serialized bytes per insert (per table); the span ledger's may run over as max_rows. */
    max_bytes: positiveInt
      .min(1024)
      .max(64 * MIB)
      .default(8 * MIB),
    /** A partly filled batch is sent after this long. */
    max_delay_ms: positiveInt.max(60_000).default(1000),
    /** Sealed batches held in memory while an insert is in flight; more go to the spool. */
    max_pending_batches: positiveInt.max(64).default(4),
  })
  .prefault({});

export const clickHouseSpoolSchema = z
  .strictObject({
    dir: z.string().min(1).default('./.switchyard/spool'),
    /** When full, the oldest batches are dropped (counted and logged). */
    max_bytes: positiveInt.min(64 * 1024).default(256 * MIB),
  })
  .prefault({});

export const clickHouseSettingsSchema = z
  .strictObject({
    url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
    /** Data dir of the embedded chDB, used when neither `url` nor CLICKHOUSE_URL is set. */
    path: z.string().min(1).default('./.switchyard/clickhouse'),
    database: identifier.default('switchyard'),
    username: z.string().min(1).optional(),
    password: z.string().optional(),
    password_file: z.string().min(1).optional(),
    cluster: clusterName.optional(),
    auto_migrate: z.boolean().default(true),
    ttl_days: positiveInt.max(36_500).optional(),
    request_timeout_ms: positiveInt.default(10_000),
    async_insert: z.boolean().default(false),
    /**
     * How the ledger rows travel: `auto` is RowBinary to a server and JSONCompactEachRow to the
     * embedded chDB (its connection hook reads an insert's body as UTF-8 text).
     */
    insert_format: z.enum(['auto', 'RowBinary', 'JSONCompactEachRow']).default('auto'),
    /**
     * Where the ledger's rows come from. `spans` (default): the sidecar sends every call's spans
     * as OTLP/JSON (the bytes its OTLP exporter already built, for sampled calls) to `otlp_in`,
     * whose views write `ai_calls`, `ai_attempts` and `otel_traces` (migration 7). `rows`: one
     * `ai_calls_in_v2` row per call. The same rows either way; `spans` costs the sidecar about 5 µs
     * per call less, ClickHouse about twice the CPU and three times the bytes (docs/clickhouse.md).
     * With SWITCHYARD_SPANS=sdk or OTEL_SDK_DISABLED the sidecar always writes rows.
     */
    ledger_source: z.enum(['spans', 'rows']).default('spans'),
    batch: clickHouseBatchSchema,
    spool: clickHouseSpoolSchema,
  })
  .refine((s) => !(s.password !== undefined && s.password_file !== undefined), {
    message: 'set password or password_file, not both',
    path: ['password_file'],
  });

export type ClickHouseSettings = z.infer<typeof clickHouseSettingsSchema>;
export type ClickHouseSettingsInput = z.input<typeof clickHouseSettingsSchema>;

/** Parses a section (for example `{}` for all defaults); throws a ZodError on bad input. */
export function parseClickHouseSettings(input: unknown): ClickHouseSettings {
  return clickHouseSettingsSchema.parse(input ?? {});
}
