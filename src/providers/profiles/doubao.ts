import type { VendorProfile } from '../types.js';

// Volcengine Ark Chat API, https://www.volcengine.com/docs/82379/1494384 (cn:
// https://ark.cn-beijing.volces.com/api/v3); BytePlus ModelArk (intl):
// https://ark.ap-southeast.bytepluses.com/api/v3 (https://docs.byteplus.com/api/docs/ModelArk/1330626).
// Bearer auth with the Ark API key; `model` is a model id or an endpoint id (ep-…). The documented
// stream without stream_options has "usage":null on every chunk (test/fixtures/hand-derived/
// doubao-chat-stream.sse), so usage must be asked for with stream_options.include_usage.
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
  docs: 'https://www.volcengine.com/docs/82379/1494384',
};
