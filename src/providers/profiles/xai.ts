import type { VendorProfile } from '../types.js';

// https://docs.x.ai/api — https://api.x.ai/v1, Bearer auth, OpenAI-compatible Chat Completions.
// Final usage chunk with choices: [] (fixtures/providers/xai/chat-stream-reasoning-tool-call.jsonl).
// Quirk: reasoning_tokens are NOT inside completion_tokens (handled in normalize-usage.ts).
export const xai: VendorProfile = {
  id: 'xai',
  label: 'xAI (Grok)',
  protocol: 'openai',
  genAiProviderName: 'x_ai',
  baseUrls: { default: 'https://api.x.ai/v1' },
  defaultRegion: 'default',
  auth: 'bearer',
  streamUsage: 'stream_options',
  docs: 'https://docs.x.ai/api',
};
