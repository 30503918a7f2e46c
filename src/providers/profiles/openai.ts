import type { VendorProfile } from '../types.js';

// https://platform.openai.com/docs/api-reference/chat/create — Bearer auth; streaming usage only
// with stream_options.include_usage (final chunk, choices: []).
export const openai: VendorProfile = {
  id: 'openai',
  label: 'OpenAI',
  protocol: 'openai',
  genAiProviderName: 'openai',
  baseUrls: { default: 'https://api.openai.com/v1' },
  defaultRegion: 'default',
  auth: 'bearer',
  streamUsage: 'stream_options',
  docs: 'https://platform.openai.com/docs/api-reference/chat/create',
};
