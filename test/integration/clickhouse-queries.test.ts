import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ClickHouseClient } from '@clickhouse/client';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { runCost } from '../../src/cli/commands/cost.js';
import { type CliIo, runMigrate } from '../../src/cli/commands/migrate.js';
import { runSql } from '../../src/cli/commands/sql.js';
import { parseClickHouseSettings } from '../../src/sinks/clickhouse/settings.js';
import { type ClickHouseSink, createClickHouseSink } from '../../src/sinks/clickhouse/sink.js';
import { BACKENDS, startBackend, type TestBackend } from '../support/clickhouse-server.js';
import { scenarioRecords } from './clickhouse-fixtures.js';

/** Runs a CLI command in this process and collects what it prints. */
async function cli(run: (argv: string[], io: CliIo) => Promise<number>, argv: string[]) {
  let out = '';
  let err = '';
  const io: CliIo = {
    out(t) {
      out += t;
    },
    err(t) {
      err += t;
    },
  };
  const code = await run(argv, io);
  return { code, out, err };
}

/** The five example queries of docs/clickhouse.md, by the name in their `-- example:` line. */
function docExamples(): Map<string, string> {
  const md = readFileSync(new URL('../../docs/clickhouse.md', import.meta.url), 'utf8');
  const out = new Map<string, string>();
  for (const m of md.matchAll(/```sql\n-- example: ([a-z0-9-]+)\n([\s\S]*?)```/g)) out.set(m[1] as string, (m[2] as string).trim());
  return out;
}

for (const kind of BACKENDS) {
  describe(`ClickHouse spans, CLI and example queries (${kind})`, () => {
    let backend: TestBackend;
    let client: ClickHouseClient;
    let sink: ClickHouseSink;
    let spoolDir: string;
    const records = scenarioRecords();

    before(async () => {
      delete process.env.CLICKHOUSE_URL;
      delete process.env.SWITCHYARD_CONFIG;
      backend = await startBackend(kind);
      client = await backend.client();
      spoolDir = mkdtempSync(join(tmpdir(), 'switchyard-spool-'));
      const settings = parseClickHouseSettings({ ...backend.connection, spool: { dir: spoolDir } });
      sink = await createClickHouseSink(settings, { log: () => {}, env: {} });
      for (const r of Object.values(records)) sink.write(r);
      await sink.flush();
    });
    after(async () => {
      await sink?.close();
      await backend?.dispose();
      rmSync(spoolDir, { recursive: true, force: true });
    });

    test('otel_traces holds real SDK spans in the Collector schema', async () => {
      const provider = new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': 'switchyard', 'k8s.namespace.name': 'shop' }),
        spanProcessors: [new SimpleSpanProcessor(sink.spanExporter)],
      });
      const tracer = provider.getTracer('switchyard', '0.1.0');
      const server = tracer.startSpan('POST /v1/chat/completions', {
        kind: SpanKind.SERVER,
        attributes: { 'switchyard.feature': 'support-chat' },
      });
      const attempt = tracer.startSpan(
        'chat gpt-4o-mini',
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'gen_ai.request.model': 'gpt-4o-mini',
            'gen_ai.usage.input_tokens': 120,
            'gen_ai.response.finish_reasons': ['stop'],
            'gen_ai.request.stream': false,
          },
        },
        trace.setSpan(context.active(), server),
      );
      attempt.addEvent('retry', { 'http.response.status_code': 500 });
      attempt.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream 500' });
      attempt.end();
      server.end();
      await provider.forceFlush();
      await sink.flush();
      const spans = await (
        await client.query({
          query: `SELECT TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName, ResourceAttributes, ScopeName, ScopeVersion,
                         SpanAttributes, Duration > 0 AS has_duration, StatusCode, StatusMessage, Events.Name, Events.Attributes, Links.TraceId
                  FROM switchyard.otel_traces ORDER BY SpanKind DESC`,
          format: 'JSONEachRow',
        })
      ).json<Record<string, unknown>>();
      assert.equal(spans.length, 2);
      const [serverRow, clientRow] = spans as [Record<string, unknown>, Record<string, unknown>];
      assert.equal(clientRow.TraceId, serverRow.TraceId);
      assert.equal(clientRow.ParentSpanId, serverRow.SpanId);
      assert.match(String(serverRow.TraceId), /^[0-9a-f]{32}$/);
      assert.deepEqual(
        { ...serverRow, TraceId: 'x', SpanId: 'x' },
        {
          TraceId: 'x',
          SpanId: 'x',
          ParentSpanId: '',
          SpanName: 'POST /v1/chat/completions',
          SpanKind: 'SPAN_KIND_SERVER',
          ServiceName: 'switchyard',
          ResourceAttributes: { 'service.name': 'switchyard', 'k8s.namespace.name': 'shop' },
          ScopeName: 'switchyard',
          ScopeVersion: '0.1.0',
          SpanAttributes: { 'switchyard.feature': 'support-chat' },
          has_duration: 1,
          StatusCode: 'STATUS_CODE_UNSET',
          StatusMessage: '',
          'Events.Name': [],
          'Events.Attributes': [],
          'Links.TraceId': [],
        },
      );
      assert.equal(clientRow.SpanKind, 'SPAN_KIND_CLIENT');
      assert.equal(clientRow.StatusCode, 'STATUS_CODE_ERROR');
      assert.equal(clientRow.StatusMessage, 'upstream 500');
      assert.deepEqual(clientRow.SpanAttributes, {
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': '120',
        'gen_ai.response.finish_reasons': '["stop"]',
        'gen_ai.request.stream': 'false',
      });
      assert.deepEqual(clientRow['Events.Name'], ['retry']);
      assert.deepEqual(clientRow['Events.Attributes'], [{ 'http.response.status_code': '500' }]);
      const [lookup] = await (
        await client.query({ query: 'SELECT count() AS n FROM switchyard.otel_traces_trace_id_ts', format: 'JSONEachRow' })
      ).json<{ n: number }>();
      assert.ok((lookup?.n ?? 0) >= 1);
      await provider.shutdown();
    });

    test('switchyard migrate reports the schema version', async () => {
      const r = await cli(runMigrate, backend.cliFlags);
      assert.equal(r.err, '');
      assert.equal(r.code, 0);
      assert.match(r.out, /: database switchyard is at version 7 \(0 applied now, 7 already\)\n$/);
    });

    test('switchyard cost --by feature: table, csv and json', async () => {
      const table = await cli(runCost, ['--by', 'feature', '--since', '24h', ...backend.cliFlags]);
      assert.equal(table.err, '');
      assert.equal(table.code, 0);
      assert.equal(
        table.out,
        [
          'feature       calls  errors  cost_usd  unpriced_calls  input_tokens  output_tokens',
          '------------  -----  ------  --------  --------------  ------------  -------------',
          'search            2       0  0.000824               0          1010            505',
          'support-chat      2       0  0.000152               0           160            230',
          'summarize         1       1         0               1             0              0',
          '(3 rows)',
          '',
        ].join('\n'),
      );
      const csv = await cli(runCost, ['--by', 'model', '--since', '24h', '--format', 'csv', ...backend.cliFlags]);
      assert.equal(
        csv.out,
        'model,calls,errors,cost_usd,unpriced_calls,input_tokens,output_tokens\r\n' +
          'deepseek-chat,2,1,0.00082,1,1000,500\r\n' +
          'gpt-4o-mini,3,0,0.000156,0,170,235\r\n',
      );
      const json = await cli(runCost, ['--by', 'provider', '--since', '24h', '--format', 'json', ...backend.cliFlags]);
      assert.deepEqual(JSON.parse(json.out), [
        { provider: 'deepseek', calls: 2, errors: 1, cost_usd: 0.00082, unpriced_calls: 1, input_tokens: 1000, output_tokens: 500 },
        { provider: 'openai', calls: 3, errors: 0, cost_usd: 0.000156, unpriced_calls: 0, input_tokens: 170, output_tokens: 235 },
      ]);
      const none = await cli(runCost, ['--since', '2w', '--until', '1w', '--format', 'json', ...backend.cliFlags]);
      assert.deepEqual(JSON.parse(none.out), []);
      const bad = await cli(runCost, ['--by', 'color', ...backend.cliFlags]);
      assert.deepEqual([bad.code, bad.err], [2, 'switchyard cost: --by must be one of feature, model, provider, namespace, workload\n']);
    });

    test('switchyard sql prints an aligned table, csv or json', async () => {
      const q =
        "SELECT feature, count() AS calls, arraySort(groupArray(call_id)) AS ids FROM switchyard.ai_calls WHERE feature != 'summarize' GROUP BY feature ORDER BY feature";
      const table = await cli(runSql, [q, ...backend.cliFlags]);
      assert.equal(
        table.out,
        'feature       calls  ids\n' +
          '------------  -----  --------------------------------\n' +
          'search            2  ["call-fallback","call-retried"]\n' +
          'support-chat      2  ["call-plain","call-streamed"]\n' +
          '(2 rows)\n',
      );
      const bad = await cli(runSql, ['SELEC 1', ...backend.cliFlags]);
      assert.equal(bad.code, 1);
      assert.match(bad.err, /^switchyard sql: .*Syntax error/);
    });

    test('the five example queries of docs/clickhouse.md run and return the expected numbers', async () => {
      const examples = docExamples();
      assert.deepEqual(
        [...examples.keys()],
        ['cost-per-feature-per-day', 'top-models-by-cost', 'fallback-rate-by-feature', 'p95-latency-by-provider', 'error-rate-by-provider'],
      );
      const run = async (name: string) =>
        (await client.query({ query: examples.get(name) as string, format: 'JSONEachRow' })).json<Record<string, unknown>>();
      const day = new Date(records.plain.startedAtMs).toISOString().slice(0, 10);
      assert.deepEqual(await run('cost-per-feature-per-day'), [
        { day, feature: 'search', calls: 2, cost_usd: 0.0008245 },
        { day, feature: 'support-chat', calls: 2, cost_usd: 0.0001515 },
        { day, feature: 'summarize', calls: 1, cost_usd: null },
      ]);
      assert.deepEqual(await run('top-models-by-cost'), [
        { final_provider: 'deepseek', final_model: 'deepseek-chat', calls: 2, cost_usd: 0.00082 },
        { final_provider: 'openai', final_model: 'gpt-4o-mini', calls: 3, cost_usd: 0.000156 },
      ]);
      assert.deepEqual(await run('fallback-rate-by-feature'), [
        { feature: 'summarize', calls: 1, fell_back: 1, fallback_rate: 1 },
        { feature: 'search', calls: 2, fell_back: 1, fallback_rate: 0.5 },
        { feature: 'support-chat', calls: 2, fell_back: 0, fallback_rate: 0 },
      ]);
      assert.deepEqual(await run('p95-latency-by-provider'), [
        { provider: 'openai', attempts: 6, p95_ms: 30000 },
        { provider: 'deepseek', attempts: 2, p95_ms: 1200 },
      ]);
      assert.deepEqual(await run('error-rate-by-provider'), [
        { provider: 'openai', attempts: 6, errors: 3, error_rate: 0.5 },
        { provider: 'deepseek', attempts: 2, errors: 1, error_rate: 0.5 },
      ]);
    });
  });
}
