import type { VendorProfile } from '../types.js';

/**
 * `protocol: openai` with a `base_url` and no preset: any OpenAI-compatible server (vLLM, Ollama,
 * LiteLLM, Azure-style proxies …). No fixed base URL; we ask for stream usage the OpenAI way.
 */
export const genericOpenAi: VendorProfile = {
  id: 'openai-compatible',
  label: 'OpenAI-compatible endpoint',
  protocol: 'openai',
  genAiProviderName: 'openai',
  baseUrls: {},
  defaultRegion: 'default',
  auth: 'bearer',
  streamUsage: 'stream_options',
};

/** The built-in demo upstream (src/simulator). Not a real provider; needs no key. */
export const simulator: VendorProfile = {
  id: 'simulator',
  label: 'Local simulator (not a real provider)',
  protocol: 'openai',
  genAiProviderName: 'switchyard.simulator',
  baseUrls: {},
  defaultRegion: 'default',
  auth: 'bearer',
  streamUsage: 'stream_options',
};
