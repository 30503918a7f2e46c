import type { VendorProfile } from '../types.js';

// https://platform.moonshot.cn/docs/api/chat (cn, https://api.moonshot.cn/v1) and
// https://platform.moonshot.ai/docs/api/chat (intl, https://api.moonshot.ai/v1). Bearer auth.
// Streams always carry usage, INSIDE choices[0].usage on the finish_reason chunk (newer docs also
// show a trailing choices: [] usage chunk); context-cache hits are usage.cached_tokens.
export const moonshot: VendorProfile = {
  id: 'moonshot',
  label: 'Moonshot AI (Kimi)',
  protocol: 'openai',
  genAiProviderName: 'moonshot',
  baseUrls: { cn: 'https://api.moonshot.cn/v1', intl: 'https://api.moonshot.ai/v1' },
  defaultRegion: 'cn',
  auth: 'bearer',
  streamUsage: 'always',
  docs: 'https://platform.moonshot.cn/docs/api/chat',
};
