import type { Usage } from '../../core/usage.js';
import { asCount, isRecord } from '../shared/json.js';

/**
 * OpenAI-style `usage` → our Usage (GenAI semconv meaning: input INCLUDES cache reads/writes,
 * output INCLUDES reasoning). Vendor quirks handled here, in one place:
 *
 * - cache reads: `prompt_tokens_details.cached_tokens` (OpenAI, Qwen, GLM, xAI),
 *   `prompt_cache_hit_tokens` (DeepSeek; preferred when present, it is the billed figure),
 *   top-level `cached_tokens` (Moonshot context caching);
 * - cache writes: `prompt_tokens_details.cache_creation_input_tokens` (DashScope explicit cache);
 * - reasoning: `completion_tokens_details.reasoning_tokens`;
 * - xAI reports reasoning OUTSIDE `completion_tokens` (total = prompt + completion + reasoning, see
 *   fixtures/providers/xai/*). We detect that from the arithmetic rather than by vendor name, so
 *   it also holds through a generic base_url and stops applying if the vendor changes:
 *   when total_tokens === prompt + completion + reasoning (and reasoning > 0), reasoning is added.
 * - embeddings: only `prompt_tokens`; outputTokens stays undefined.
 */
export function normalizeOpenAiUsage(raw: unknown): Usage | undefined {
  if (!isRecord(raw)) return undefined;
  const prompt = asCount(raw.prompt_tokens);
  const completion = asCount(raw.completion_tokens);
  const total = asCount(raw.total_tokens);
  const pDetails = isRecord(raw.prompt_tokens_details) ? raw.prompt_tokens_details : undefined;
  const cDetails = isRecord(raw.completion_tokens_details) ? raw.completion_tokens_details : undefined;

  const cacheRead = asCount(raw.prompt_cache_hit_tokens) ?? asCount(pDetails?.cached_tokens) ?? asCount(raw.cached_tokens);
  const cacheWrite = asCount(pDetails?.cache_creation_input_tokens);
  const reasoning = asCount(cDetails?.reasoning_tokens);

  const usage: Usage = {};
  if (prompt !== undefined) usage.inputTokens = prompt;
  else if (total !== undefined && completion === undefined) usage.inputTokens = total;
  if (completion !== undefined) {
    const reasoningOutside =
      reasoning !== undefined && reasoning > 0 && prompt !== undefined && total !== undefined && total === prompt + completion + reasoning;
    usage.outputTokens = reasoningOutside ? completion + reasoning : completion;
  }
  if (cacheRead !== undefined) usage.cacheReadTokens = cacheRead;
  if (cacheWrite !== undefined) usage.cacheWriteTokens = cacheWrite;
  if (reasoning !== undefined) usage.reasoningTokens = reasoning;
  return usage.inputTokens === undefined && usage.outputTokens === undefined ? undefined : usage;
}
