import type { VendorProfile } from '../types.js';

// Zhipu BigModel (cn): https://open.bigmodel.cn/api/paas/v4; Z.AI (intl):
// https://api.z.ai/api/paas/v4 (https://docs.z.ai/api-reference/introduction). Bearer auth with the
// API key. Usage (with completion_tokens_details.reasoning_tokens) comes on the finish chunk; the
// recorded request sent stream_options.include_usage and GLM accepted it
// (fixtures/providers/glm/chat-stream-thinking-usage.sse), so we ask for it to be safe.
export const glm: VendorProfile = {
  id: 'glm',
  label: 'Zhipu GLM (BigModel / Z.AI)',
  protocol: 'openai',
  genAiProviderName: 'zhipu',
  baseUrls: { cn: 'https://open.bigmodel.cn/api/paas/v4', intl: 'https://api.z.ai/api/paas/v4' },
  defaultRegion: 'cn',
  auth: 'bearer',
  streamUsage: 'stream_options',
  docs: 'https://docs.z.ai/api-reference/introduction',
};
