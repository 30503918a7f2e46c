import { openAiCompatibleAdapter } from './openai-compatible/adapter.js';
import type { ProviderAdapter, WireProtocol } from './types.js';

const ADAPTERS: Partial<Record<WireProtocol, ProviderAdapter>> = {
  openai: openAiCompatibleAdapter,
  // anthropic, gemini: native adapters arrive in a later issue (docs/providers.md).
};

/** The adapter for a wire protocol, or undefined when it is not implemented yet. */
export function getAdapter(protocol: WireProtocol): ProviderAdapter | undefined {
  return ADAPTERS[protocol];
}

/** Alias used by the composition root (`GatewayDeps.adapterFor`). */
export const adapterFor = getAdapter;
