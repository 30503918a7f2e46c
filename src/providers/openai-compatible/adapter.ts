import type { ProviderAdapter } from '../types.js';
import { buildOpenAiRequest } from './build-request.js';
import { parseOpenAiError } from './parse-error.js';
import { parseOpenAiResponse } from './parse-response.js';
import { createOpenAiStreamTranslator } from './stream-translator.js';

/**
 * The OpenAI-compatible adapter: one wire protocol, every vendor profile with `protocol: openai`
 * (OpenAI, DeepSeek, Qwen, Moonshot, GLM, Doubao, Mistral, xAI, MiniMax, generic, simulator).
 * Vendor differences live in the profile data and in the named quirk handling of
 * normalize-usage.ts / extract-upstream-error.ts, not in branches on the vendor name.
 */
export const openAiCompatibleAdapter: ProviderAdapter = Object.freeze({
  protocol: 'openai',
  operations: Object.freeze(['chat', 'embeddings'] as const),
  buildRequest: buildOpenAiRequest,
  parseResponse: parseOpenAiResponse,
  parseError: parseOpenAiError,
  createStreamTranslator: createOpenAiStreamTranslator,
});
