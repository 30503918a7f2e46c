/** One model's list price, USD per 1M tokens, with where and when it was read. */
export interface PriceEntry {
  /** Canonical model id, lower case (matching rules in match-model.ts). */
  model: string;
  /** Other exact names for the same price (`-latest` aliases). */
  aliases?: readonly string[];
  /** Preset the price belongs to (documentation; lookup is by model name). */
  provider: string;
  input: number;
  output: number;
  /** Cache-read input tokens; defaults to `input` when absent. */
  cachedInput?: number;
  /** Cache-write input tokens; defaults to `input` when absent. */
  cacheWrite?: number;
  /** Reasoning output tokens; defaults to `output` when absent. */
  reasoning?: number;
  /** Page the price was read from. */
  source: string;
  /** Date the price was read or last confirmed (YYYY-MM-DD). */
  asOf: string;
  /** When the list price is not in USD: the original prices and the rate used (units per USD). */
  converted?: { currency: string; perUsd: number; rateSource: string };
  /** Caveats (tiers not modelled, regional differences). */
  note?: string;
}

/** A price given in config (`pricing:`), USD per 1M tokens. */
export interface PriceOverride {
  input: number;
  output: number;
  cached_input?: number | undefined;
  cache_write?: number | undefined;
  reasoning?: number | undefined;
}

/** The prices one cost computation uses, after overrides. */
export interface ResolvedPrice {
  input: number;
  output: number;
  cachedInput: number;
  cacheWrite: number;
  reasoning: number;
  /** `override:<key>` or `table:<model>` — where the price came from. */
  origin: string;
}
