import type { PriceEntry } from '../types.js';
import { DEEPSEEK_PRICES } from './deepseek.js';
import { GLM_PRICES } from './glm.js';
import { MOONSHOT_PRICES } from './moonshot.js';
import { OPENAI_PRICES } from './openai.js';
import { MINIMAX_PRICES, MISTRAL_PRICES, QWEN_PRICES, XAI_PRICES } from './others.js';

/**
 * The bundled price table. Bump PRICE_TABLE_VERSION (date of the change + a counter) whenever
 * an entry changes: every ledger row records it. Models we could not find a public price for
 * (qwen-max/plus/turbo/flash, Doubao) are deliberately absent: their cost is null until a
 * `pricing:` override names them.
 */
export const PRICE_TABLE_VERSION = '2026-11-24.1';

export const PRICE_TABLE: readonly PriceEntry[] = Object.freeze(
  [
    ...OPENAI_PRICES,
    ...DEEPSEEK_PRICES,
    ...QWEN_PRICES,
    ...MOONSHOT_PRICES,
    ...GLM_PRICES,
    ...MISTRAL_PRICES,
    ...XAI_PRICES,
    ...MINIMAX_PRICES,
  ].map((e) => Object.freeze(e)),
);
