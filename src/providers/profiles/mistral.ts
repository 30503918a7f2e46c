import type { VendorProfile } from '../types.js';

// https://docs.mistral.ai/api/ — https://api.mistral.ai/v1, Bearer auth. Streams carry usage on
// the finish_reason chunk without being asked (recorded: fixtures/providers/mistral/
// chat-stream-text-usage.sse, request had no stream_options), so nothing is injected.
export const mistral: VendorProfile = {
  id: 'mistral',
  label: 'Mistral AI',
  protocol: 'openai',
  genAiProviderName: 'mistral_ai',
  baseUrls: { default: 'https://api.mistral.ai/v1' },
  defaultRegion: 'default',
  auth: 'bearer',
  streamUsage: 'always',
  docs: 'https://docs.mistral.ai/api/',
};
