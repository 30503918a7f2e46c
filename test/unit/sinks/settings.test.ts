import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { clickHouseSettingsSchema, parseClickHouseSettings } from '../../../src/sinks/clickhouse/settings.js';
import { resolveTarget } from '../../../src/sinks/clickhouse/target.js';

test('defaults', () => {
  assert.deepEqual(parseClickHouseSettings({}), {
    path: './.switchyard/clickhouse',
    database: 'switchyard',
    auto_migrate: true,
    request_timeout_ms: 10_000,
    async_insert: false,
    insert_format: 'auto',
    ledger_source: 'spans',
    batch: { max_rows: 10_000, max_bytes: 8 * 1024 * 1024, max_delay_ms: 1000, max_pending_batches: 4 },
    spool: { dir: './.switchyard/spool', max_bytes: 256 * 1024 * 1024 },
  });
});

test('strict: unknown keys, bad identifiers and both password forms are rejected', () => {
  const issues = (input: unknown) => clickHouseSettingsSchema.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.code}`);
  assert.deepEqual(issues({ batch: { max_rows: 10, colour: 1 } }), ['batch: unrecognized_keys']);
  assert.deepEqual(issues({ hostname: 'x' }), [': unrecognized_keys']);
  assert.deepEqual(issues({ database: 'my-db; DROP' }), ['database: invalid_format']);
  assert.deepEqual(issues({ password: 'a', password_file: '/p' }), ['password_file: custom']);
  assert.deepEqual(issues({ url: 'ftp://x' }), ['url: invalid_format']);
});

test('target: url, then CLICKHOUSE_URL, then embedded; credentials never in the label', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ch-settings-'));
  try {
    const pw = join(dir, 'pw');
    writeFileSync(pw, 's3cret\n');
    const t = resolveTarget(parseClickHouseSettings({ url: 'http://u:inline@ch:8123/', password_file: pw }), {});
    assert.deepEqual(t, { kind: 'http', url: 'http://ch:8123', label: 'http://ch:8123', username: 'u', password: 's3cret' });
    const env = resolveTarget(parseClickHouseSettings({}), { CLICKHOUSE_URL: 'http://env:8123', CLICKHOUSE_PASSWORD: 'p' });
    assert.deepEqual(env, { kind: 'http', url: 'http://env:8123', label: 'http://env:8123', password: 'p' });
    const embedded = resolveTarget(parseClickHouseSettings({ path: 'data/ch' }), {});
    assert.deepEqual(embedded, { kind: 'embedded', path: resolve('data/ch'), label: `embedded chDB at ${resolve('data/ch')}` });
    assert.throws(() => resolveTarget(parseClickHouseSettings({ url: 'http://ch:8123', password_file: join(dir, 'missing') }), {}), {
      message: `cannot read telemetry.clickhouse.password_file ${join(dir, 'missing')} (ENOENT)`,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
