/** Public surface of src/providers (the gateway and config import from here). */
export { adapterFor, getAdapter } from './registry.js';
export { openAiCompatibleAdapter } from './openai-compatible/adapter.js';
export * from './profiles.js';
export { createSseParser, type SseEvent, type SseParser } from './shared/sse-parser.js';
export { formatSseComment, formatSseEvent, SSE_DONE, type SseEventInit } from './shared/sse-writer.js';
export { redactSecrets, sanitizeUpstreamMessage } from './shared/redact-secrets.js';
export { parseRetryAfterMs } from './shared/parse-retry-after.js';
export type * from './types.js';
