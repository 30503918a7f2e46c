/**
 * Token usage, normalised to GenAI semantic-convention meaning:
 * - inputTokens INCLUDES cache reads and cache writes;
 * - outputTokens INCLUDES reasoning tokens.
 * A field is undefined when the provider did not report it (not 0).
 */
export interface Usage {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  reasoningTokens?: number;
}

export const EMPTY_USAGE: Readonly<Usage> = Object.freeze({});

function add(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a + b;
}

/** Sum usage over attempts (every attempt that produced tokens was billed). */
export function sumUsage(items: readonly (Usage | undefined)[]): Usage {
  const out: Usage = {};
  for (const u of items) {
    if (!u) continue;
    out.inputTokens = add(out.inputTokens, u.inputTokens);
    out.outputTokens = add(out.outputTokens, u.outputTokens);
    out.cacheReadTokens = add(out.cacheReadTokens, u.cacheReadTokens);
    out.cacheWriteTokens = add(out.cacheWriteTokens, u.cacheWriteTokens);
    out.reasoningTokens = add(out.reasoningTokens, u.reasoningTokens);
  }
  return out;
}

export function hasUsage(u: Usage | undefined): boolean {
  return !!u && (u.inputTokens !== undefined || u.outputTokens !== undefined);
}
