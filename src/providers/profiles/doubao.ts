import type { VendorProfile } from '../types.js';

// Volcengine Ark (cn): https://ark.cn-beijing.volces.com/api/v3; BytePlus ModelArk (intl):
// https://ark.ap-southeast.bytepluses.com/api/v3 ("largely compatible with the OpenAI SDK",
// https://docs.byteplus.com/api/docs/ModelArk/1330626). Bearer auth with the Ark API key; `model`
// is a model id or an endpoint id (ep-…). We did not find a public recording of its stream usage,
// so we ask with stream_options.include_usage, which it accepts as an OpenAI-compatible field.
export const doubao: VendorProfile = {
  id: 'doubao',
  label: 'Volcengine Ark (Doubao)',
  protocol: 'openai',
  genAiProviderName: 'volcengine',
  baseUrls: {
    cn: 'https://ark.cn-beijing.volces.com/api/v3',
    intl: 'https://ark.ap-southeast.bytepluses.com/api/v3',
  },
  defaultRegion: 'cn',
  auth: 'bearer',
  streamUsage: 'stream_options',
  docs: 'https://docs.byteplus.com/api/docs/ModelArk/1330626',
};
