import type { VendorProfile } from '../types.js';

// https://www.alibabacloud.com/help/en/model-studio/compatibility-of-openai-with-dashscope —
// DashScope compatible mode: Beijing https://dashscope.aliyuncs.com/compatible-mode/v1, Singapore
// (intl) https://dashscope-intl.aliyuncs.com/compatible-mode/v1, US (Virginia)
// https://dashscope-us.aliyuncs.com/compatible-mode/v1. Bearer auth; keys are region-bound.
// Streaming usage needs stream_options.include_usage (final chunk with choices: [], recorded in
// fixtures/providers/qwen/*.jsonl); reasoning_content on qwen3 thinking models.
export const qwen: VendorProfile = {
  id: 'qwen',
  label: 'Alibaba Cloud Qwen (DashScope compatible mode)',
  protocol: 'openai',
  genAiProviderName: 'dashscope',
  baseUrls: {
    cn: 'https://dashscope.aliyuncs.com/compatible-mode/v1',
    intl: 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1',
    us: 'https://dashscope-us.aliyuncs.com/compatible-mode/v1',
  },
  defaultRegion: 'cn',
  auth: 'bearer',
  streamUsage: 'stream_options',
  docs: 'https://www.alibabacloud.com/help/en/model-studio/compatibility-of-openai-with-dashscope',
};
