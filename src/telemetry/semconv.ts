/**
 * Every telemetry name Switchyard emits, as literal constants, in one file. A test
 * (test/unit/telemetry/semconv.test.ts) lists them literally, so a rename is a deliberate change.
 *
 * - `gen_ai.*`: OpenTelemetry GenAI semantic conventions (checked against
 *   @opentelemetry/semantic-conventions 1.45.0 incubating, which includes `gen_ai.request.stream`,
 *   `gen_ai.response.time_to_first_chunk` and the `gen_ai.client.operation.time_to_first_chunk`
 *   metric). They go on CLIENT (attempt) spans and on the gen_ai metrics only.
 * - `http.*`, `url.*`, `server.*`, `error.type`: stable HTTP / general conventions.
 * - `switchyard.*`: ours.
 */

// --- Span names and values ------------------------------------------------------------------------

export const GEN_AI_OPERATION_CHAT = 'chat';
export const GEN_AI_OPERATION_EMBEDDINGS = 'embeddings';
/** Our own operation value for endpoints we forward without translating (not a semconv value). */
export const GEN_AI_OPERATION_PASSTHROUGH = 'passthrough';
export const GEN_AI_TOKEN_TYPE_INPUT = 'input';
export const GEN_AI_TOKEN_TYPE_OUTPUT = 'output';
export const OUTCOME_OK = 'ok';
export const OUTCOME_ERROR = 'error';
export const INSTRUMENTATION_SCOPE = 'switchyard';

// --- Standard attributes (HTTP, server, error) ----------------------------------------------------

export const ATTR_HTTP_REQUEST_METHOD = 'http.request.method';
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
export const ATTR_URL_PATH = 'url.path';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
export const ATTR_ERROR_TYPE = 'error.type';

// --- Resource attributes (read for the ledger's service / namespace / pod / workload) ------------

export const ATTR_SERVICE_NAME = 'service.name';
export const ATTR_K8S_NAMESPACE_NAME = 'k8s.namespace.name';
export const ATTR_K8S_POD_NAME = 'k8s.pod.name';
export const ATTR_K8S_DEPLOYMENT_NAME = 'k8s.deployment.name';
export const ATTR_K8S_STATEFULSET_NAME = 'k8s.statefulset.name';
export const ATTR_K8S_DAEMONSET_NAME = 'k8s.daemonset.name';
export const ATTR_K8S_JOB_NAME = 'k8s.job.name';

// --- GenAI attributes (CLIENT spans, gen_ai metrics) ----------------------------------------------

export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const ATTR_GEN_AI_REQUEST_STREAM = 'gen_ai.request.stream';
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const ATTR_GEN_AI_RESPONSE_ID = 'gen_ai.response.id';
export const ATTR_GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons';
/** Seconds. */
export const ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = 'gen_ai.response.time_to_first_chunk';
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = 'gen_ai.usage.cache_read.input_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = 'gen_ai.usage.cache_creation.input_tokens';
export const ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = 'gen_ai.usage.reasoning.output_tokens';
export const ATTR_GEN_AI_TOKEN_TYPE = 'gen_ai.token.type';

// --- Switchyard attributes ------------------------------------------------------------------------

export const ATTR_SWITCHYARD_CALL_ID = 'switchyard.call.id';
export const ATTR_SWITCHYARD_FEATURE = 'switchyard.feature';
export const ATTR_SWITCHYARD_ROUTE = 'switchyard.route';
export const ATTR_SWITCHYARD_OPERATION = 'switchyard.operation';
export const ATTR_SWITCHYARD_OUTCOME = 'switchyard.outcome';
export const ATTR_SWITCHYARD_STREAMED = 'switchyard.streamed';
export const ATTR_SWITCHYARD_REQUESTED_MODEL = 'switchyard.requested_model';
export const ATTR_SWITCHYARD_ATTEMPT_COUNT = 'switchyard.attempt.count';
export const ATTR_SWITCHYARD_RETRY_COUNT = 'switchyard.retry.count';
export const ATTR_SWITCHYARD_FALLBACK_PATH = 'switchyard.fallback.path';
export const ATTR_SWITCHYARD_FINAL_PROVIDER = 'switchyard.final.provider';
export const ATTR_SWITCHYARD_FINAL_MODEL = 'switchyard.final.model';
export const ATTR_SWITCHYARD_USAGE_INPUT_TOKENS = 'switchyard.usage.input_tokens';
export const ATTR_SWITCHYARD_USAGE_OUTPUT_TOKENS = 'switchyard.usage.output_tokens';
/** The span ledger's (see span-attributes.ts `LedgerIds`): the call's cache and reasoning tokens. */
export const ATTR_SWITCHYARD_USAGE_CACHE_READ_INPUT_TOKENS = 'switchyard.usage.cache_read.input_tokens';
export const ATTR_SWITCHYARD_USAGE_CACHE_CREATION_INPUT_TOKENS = 'switchyard.usage.cache_creation.input_tokens';
export const ATTR_SWITCHYARD_USAGE_REASONING_OUTPUT_TOKENS = 'switchyard.usage.reasoning.output_tokens';
export const ATTR_SWITCHYARD_COST_USD = 'switchyard.cost.usd';
export const ATTR_SWITCHYARD_OVERHEAD_MS = 'switchyard.overhead_ms';
export const ATTR_SWITCHYARD_TIME_TO_FIRST_CHUNK_MS = 'switchyard.time_to_first_chunk_ms';
export const ATTR_SWITCHYARD_CONFIG_HASH = 'switchyard.config.hash';
export const ATTR_SWITCHYARD_PRICE_TABLE_VERSION = 'switchyard.price_table.version';
export const ATTR_SWITCHYARD_ATTEMPT_INDEX = 'switchyard.attempt.index';
export const ATTR_SWITCHYARD_ATTEMPT_TARGET_INDEX = 'switchyard.attempt.target_index';
export const ATTR_SWITCHYARD_ATTEMPT_TRY = 'switchyard.attempt.try';
/** Config provider key (for example `openai`, `openai-eu`); gen_ai.provider.name is the vendor. */
export const ATTR_SWITCHYARD_PROVIDER = 'switchyard.provider';
export const ATTR_SWITCHYARD_MODEL = 'switchyard.model';
export const ATTR_SWITCHYARD_SINK = 'switchyard.sink';
/** Only with telemetry.capture_content: true. */
export const ATTR_SWITCHYARD_CONTENT_INPUT = 'switchyard.content.input';
export const ATTR_SWITCHYARD_CONTENT_OUTPUT = 'switchyard.content.output';

// --- Metrics --------------------------------------------------------------------------------------

export const METRIC_GEN_AI_CLIENT_TOKEN_USAGE = 'gen_ai.client.token.usage';
export const METRIC_GEN_AI_CLIENT_OPERATION_DURATION = 'gen_ai.client.operation.duration';
export const METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK = 'gen_ai.client.operation.time_to_first_chunk';
export const METRIC_SWITCHYARD_COST = 'switchyard.cost';
export const METRIC_SWITCHYARD_CALLS = 'switchyard.calls';
export const METRIC_SWITCHYARD_LEDGER_SPOOLED_RECORDS = 'switchyard.ledger.spooled_records';
export const METRIC_SWITCHYARD_LEDGER_SPOOL_DROPPED = 'switchyard.ledger.spool_dropped';

/** Semconv ExplicitBucketBoundaries for gen_ai.client.token.usage. */
export const TOKEN_USAGE_BUCKETS: readonly number[] = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
/** Semconv ExplicitBucketBoundaries (seconds) for operation duration and time to first chunk. */
export const DURATION_BUCKETS: readonly number[] = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
