import type { VendorProfile } from '../types.js';

// https://api-docs.deepseek.com/ — base_url https://api.deepseek.com (the /v1 alias also works),
// Bearer auth. Usage arrives on the finish_reason chunk even without stream_options (recorded:
// fixtures/providers/deepseek/chat-stream-usage.sse, request had no stream_options), so nothing is
// injected. Cache figures: prompt_cache_hit_tokens / prompt_cache_miss_tokens.
export const deepseek: VendorProfile = {
  id: 'deepseek',
  label: 'DeepSeek',
  protocol: 'openai',
  genAiProviderName: 'deepseek',
  baseUrls: { default: 'https://api.deepseek.com' },
  defaultRegion: 'default',
  auth: 'bearer',
  streamUsage: 'always',
  docs: 'https://api-docs.deepseek.com/',
};
