import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as semconv from '../../../src/telemetry/semconv.js';

/**
 * Every telemetry name, listed literally. Dashboards, alerts, the ClickHouse sink and users'
 * queries depend on these strings: changing one must be a deliberate edit here and in
 * docs/telemetry.md. Every gen_ai.*, http.*, url.*, server.*, error.*, service.* and k8s.* name was
 * checked against @opentelemetry/semantic-conventions 1.45.0.
 */
test('semconv: every exported name is pinned', () => {
  assert.deepEqual(
    { ...semconv },
    {
      ATTR_ERROR_TYPE: 'error.type',
      ATTR_GEN_AI_OPERATION_NAME: 'gen_ai.operation.name',
      ATTR_GEN_AI_PROVIDER_NAME: 'gen_ai.provider.name',
      ATTR_GEN_AI_REQUEST_MODEL: 'gen_ai.request.model',
      ATTR_GEN_AI_REQUEST_STREAM: 'gen_ai.request.stream',
      ATTR_GEN_AI_RESPONSE_FINISH_REASONS: 'gen_ai.response.finish_reasons',
      ATTR_GEN_AI_RESPONSE_ID: 'gen_ai.response.id',
      ATTR_GEN_AI_RESPONSE_MODEL: 'gen_ai.response.model',
      ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: 'gen_ai.response.time_to_first_chunk',
      ATTR_GEN_AI_TOKEN_TYPE: 'gen_ai.token.type',
      ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: 'gen_ai.usage.cache_creation.input_tokens',
      ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: 'gen_ai.usage.cache_read.input_tokens',
      ATTR_GEN_AI_USAGE_INPUT_TOKENS: 'gen_ai.usage.input_tokens',
      ATTR_GEN_AI_USAGE_OUTPUT_TOKENS: 'gen_ai.usage.output_tokens',
      ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: 'gen_ai.usage.reasoning.output_tokens',
      ATTR_HTTP_REQUEST_METHOD: 'http.request.method',
      ATTR_HTTP_RESPONSE_STATUS_CODE: 'http.response.status_code',
      ATTR_K8S_DAEMONSET_NAME: 'k8s.daemonset.name',
      ATTR_K8S_DEPLOYMENT_NAME: 'k8s.deployment.name',
      ATTR_K8S_JOB_NAME: 'k8s.job.name',
      ATTR_K8S_NAMESPACE_NAME: 'k8s.namespace.name',
      ATTR_K8S_POD_NAME: 'k8s.pod.name',
      ATTR_K8S_STATEFULSET_NAME: 'k8s.statefulset.name',
      ATTR_SERVER_ADDRESS: 'server.address',
      ATTR_SERVER_PORT: 'server.port',
      ATTR_SERVICE_NAME: 'service.name',
      ATTR_SWITCHYARD_ATTEMPT_COUNT: 'switchyard.attempt.count',
      ATTR_SWITCHYARD_ATTEMPT_INDEX: 'switchyard.attempt.index',
      ATTR_SWITCHYARD_ATTEMPT_TARGET_INDEX: 'switchyard.attempt.target_index',
      ATTR_SWITCHYARD_ATTEMPT_TRY: 'switchyard.attempt.try',
      ATTR_SWITCHYARD_CALL_ID: 'switchyard.call.id',
      ATTR_SWITCHYARD_CONFIG_HASH: 'switchyard.config.hash',
      ATTR_SWITCHYARD_CONTENT_INPUT: 'switchyard.content.input',
      ATTR_SWITCHYARD_CONTENT_OUTPUT: 'switchyard.content.output',
      ATTR_SWITCHYARD_COST_USD: 'switchyard.cost.usd',
      ATTR_SWITCHYARD_FALLBACK_PATH: 'switchyard.fallback.path',
      ATTR_SWITCHYARD_FEATURE: 'switchyard.feature',
      ATTR_SWITCHYARD_FINAL_MODEL: 'switchyard.final.model',
      ATTR_SWITCHYARD_FINAL_PROVIDER: 'switchyard.final.provider',
      ATTR_SWITCHYARD_MODEL: 'switchyard.model',
      ATTR_SWITCHYARD_OPERATION: 'switchyard.operation',
      ATTR_SWITCHYARD_OUTCOME: 'switchyard.outcome',
      ATTR_SWITCHYARD_OVERHEAD_MS: 'switchyard.overhead_ms',
      ATTR_SWITCHYARD_PRICE_TABLE_VERSION: 'switchyard.price_table.version',
      ATTR_SWITCHYARD_PROVIDER: 'switchyard.provider',
      ATTR_SWITCHYARD_REQUESTED_MODEL: 'switchyard.requested_model',
      ATTR_SWITCHYARD_RETRY_COUNT: 'switchyard.retry.count',
      ATTR_SWITCHYARD_ROUTE: 'switchyard.route',
      ATTR_SWITCHYARD_SINK: 'switchyard.sink',
      ATTR_SWITCHYARD_STREAMED: 'switchyard.streamed',
      ATTR_SWITCHYARD_TIME_TO_FIRST_CHUNK_MS: 'switchyard.time_to_first_chunk_ms',
      ATTR_SWITCHYARD_USAGE_INPUT_TOKENS: 'switchyard.usage.input_tokens',
      ATTR_SWITCHYARD_USAGE_OUTPUT_TOKENS: 'switchyard.usage.output_tokens',
      ATTR_SWITCHYARD_USAGE_CACHE_READ_INPUT_TOKENS: 'switchyard.usage.cache_read.input_tokens',
      ATTR_SWITCHYARD_USAGE_CACHE_CREATION_INPUT_TOKENS: 'switchyard.usage.cache_creation.input_tokens',
      ATTR_SWITCHYARD_USAGE_REASONING_OUTPUT_TOKENS: 'switchyard.usage.reasoning.output_tokens',
      ATTR_URL_PATH: 'url.path',
      DURATION_BUCKETS: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92],
      GEN_AI_OPERATION_CHAT: 'chat',
      GEN_AI_OPERATION_EMBEDDINGS: 'embeddings',
      GEN_AI_OPERATION_PASSTHROUGH: 'passthrough',
      GEN_AI_TOKEN_TYPE_INPUT: 'input',
      GEN_AI_TOKEN_TYPE_OUTPUT: 'output',
      INSTRUMENTATION_SCOPE: 'switchyard',
      METRIC_GEN_AI_CLIENT_OPERATION_DURATION: 'gen_ai.client.operation.duration',
      METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK: 'gen_ai.client.operation.time_to_first_chunk',
      METRIC_GEN_AI_CLIENT_TOKEN_USAGE: 'gen_ai.client.token.usage',
      METRIC_SWITCHYARD_CALLS: 'switchyard.calls',
      METRIC_SWITCHYARD_COST: 'switchyard.cost',
      METRIC_SWITCHYARD_LEDGER_SPOOLED_RECORDS: 'switchyard.ledger.spooled_records',
      METRIC_SWITCHYARD_LEDGER_SPOOL_DROPPED: 'switchyard.ledger.spool_dropped',
      OUTCOME_ERROR: 'error',
      OUTCOME_OK: 'ok',
      TOKEN_USAGE_BUCKETS: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864],
    },
  );
});

test('semconv: the names documented in docs/telemetry.md are the exported ones', async () => {
  const { readFile } = await import('node:fs/promises');
  const doc = await readFile(new URL('../../../docs/telemetry.md', import.meta.url), 'utf8');
  for (const [key, value] of Object.entries(semconv)) {
    if (!key.startsWith('ATTR_') && !key.startsWith('METRIC_')) continue;
    assert.ok(doc.includes(`\`${value as string}\``), `docs/telemetry.md does not mention \`${value as string}\``);
  }
});
