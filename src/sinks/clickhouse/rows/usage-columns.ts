import type { Usage } from '../../../core/usage.js';
import { numOrZero } from './json-values.js';
import { frag, type RowBytes } from './row-bytes.js';

/** The five token columns of `ai_calls` and `ai_attempts`: unreported counts are 0. */
const F = {
  inputTokens: frag(',"input_tokens":'),
  outputTokens: frag(',"output_tokens":'),
  cacheReadTokens: frag(',"cache_read_tokens":'),
  cacheWriteTokens: frag(',"cache_write_tokens":'),
  reasoningTokens: frag(',"reasoning_tokens":'),
};

export function writeUsageColumns(w: RowBytes, u: Usage): void {
  w.raw(F.inputTokens);
  numOrZero(w, u.inputTokens);
  w.raw(F.outputTokens);
  numOrZero(w, u.outputTokens);
  w.raw(F.cacheReadTokens);
  numOrZero(w, u.cacheReadTokens);
  w.raw(F.cacheWriteTokens);
  numOrZero(w, u.cacheWriteTokens);
  w.raw(F.reasoningTokens);
  numOrZero(w, u.reasoningTokens);
}
