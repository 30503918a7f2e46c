import type { VendorProfile } from '../types.js';

// https://platform.minimax.io/docs/api-reference/text-openai-api — OpenAI-compatible at
// https://api.minimax.io/v1 (intl); mainland China accounts use https://api.minimaxi.com/v1.
// Bearer auth. No public recording of its streaming usage: we ask with stream_options.
export const minimax: VendorProfile = {
  id: 'minimax',
  label: 'MiniMax',
  protocol: 'openai',
  genAiProviderName: 'minimax',
  baseUrls: { intl: 'https://api.minimax.io/v1', cn: 'https://api.minimaxi.com/v1' },
  defaultRegion: 'intl',
  auth: 'bearer',
  streamUsage: 'stream_options',
  docs: 'https://platform.minimax.io/docs/api-reference/text-openai-api',
};
