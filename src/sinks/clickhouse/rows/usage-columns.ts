import type { Usage } from '../../../core/usage.js';
import { numOrZero } from './json-values.js';
import type { RowBytes } from './row-bytes.js';

/**
 * The five token columns of `ai_calls` (unreported counts are 0), each after its comma: values
 * only, as a JSONCompactEachRow row holds them.
 */
export function writeUsageColumns(w: RowBytes, u: Usage): void {
  w.byte(44);
  numOrZero(w, u.inputTokens);
  w.byte(44);
  numOrZero(w, u.outputTokens);
  w.byte(44);
  numOrZero(w, u.cacheReadTokens);
  w.byte(44);
  numOrZero(w, u.cacheWriteTokens);
  w.byte(44);
  numOrZero(w, u.reasoningTokens);
}
