import type { Usage } from '../../../core/usage.js';
import { numOrZero } from './json-values.js';
import { utf8 } from '../../../core/json-bytes.js';
import type { RowBytes } from './row-bytes.js';

/** The five token columns of `ai_calls` and `ai_attempts`: unreported counts are 0. */
const F = {
  inputTokens: utf8(',"input_tokens":'),
  outputTokens: utf8(',"output_tokens":'),
  cacheReadTokens: utf8(',"cache_read_tokens":'),
  cacheWriteTokens: utf8(',"cache_write_tokens":'),
  reasoningTokens: utf8(',"reasoning_tokens":'),
};

export function writeUsageColumns(w: RowBytes, u: Usage): void {
  w.bytes(F.inputTokens);
  numOrZero(w, u.inputTokens);
  w.bytes(F.outputTokens);
  numOrZero(w, u.outputTokens);
  w.bytes(F.cacheReadTokens);
  numOrZero(w, u.cacheReadTokens);
  w.bytes(F.cacheWriteTokens);
  numOrZero(w, u.cacheWriteTokens);
  w.bytes(F.reasoningTokens);
  numOrZero(w, u.reasoningTokens);
}
