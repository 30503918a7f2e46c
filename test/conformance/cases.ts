/**
 * What each recorded (or hand-derived) OpenAI-compatible fixture must yield. Numbers are copied
 * from the fixture files themselves; usage is in our semantics (input includes cache reads,
 * output includes reasoning). Every fixture of these providers in manifest.json must be listed
 * (a test checks that), so a new recording cannot slip in untested.
 */
import type { Usage } from '../../src/core/usage.js';

export interface ToolCallExpectation {
  name: string;
  arguments: string;
}

export interface StreamCase {
  fixture: string;
  /** Vendor preset the fixture came from. */
  preset: string;
  model: string;
  id: string;
  finishReasons: string[];
  usage: Usage | undefined;
  /** The stream has a usage-only chunk (`choices: []`). */
  usageChunk: boolean;
  /** Reassembled `delta.content`: exact, or its start and code-point length for long answers. */
  text: string | { startsWith: string; codePoints: number };
  toolCalls: ToolCallExpectation[];
}

export interface ResponseCase {
  fixture: string;
  preset: string;
  operation: 'chat' | 'embeddings';
  model: string;
  id?: string;
  finishReasons?: string[];
  usage: Usage;
}

export interface ErrorCase {
  fixture: string;
  headers?: Record<string, string>;
  kind: string;
  status: number;
  upstreamStatus: number;
  message: string;
  param: string | null;
  code: string;
  retryAfterMs?: number;
}

const weatherSF = { name: 'weather', arguments: '{"location": "San Francisco"}' };

export const STREAM_CASES: StreamCase[] = [
  {
    fixture: 'openai/chat-stream-text',
    preset: 'openai',
    model: 'gpt-5-nano-2025-08-07',
    id: 'chatcmpl-C4HqHBe4xca0k0EzsCnf1t6V3YFXp',
    finishReasons: ['stop'],
    usage: undefined,
    usageChunk: false,
    text: { startsWith: 'Hi there! How can I help today?', codePoints: 209 },
    toolCalls: [],
  },
  {
    fixture: 'openai/chat-stream-include-usage-reasoning',
    preset: 'openai',
    model: 'gpt-5-nano-2025-08-07',
    id: 'chatcmpl-C4Hq5a6K3RaPMymUv70btQNYv6SvY',
    finishReasons: ['length'],
    usage: { inputTokens: 12, outputTokens: 100, cacheReadTokens: 0, reasoningTokens: 100 },
    usageChunk: true,
    text: '',
    toolCalls: [],
  },
  {
    fixture: 'openai/chat-stream-parallel-tool-calls-usage',
    preset: 'openai',
    model: 'gpt-4o-mini-2024-07-18',
    id: 'chatcmpl-ASYMbACebDoWcuraMEWQhU48q4dAp',
    finishReasons: ['tool_calls'],
    usage: { inputTokens: 75, outputTokens: 51, cacheReadTokens: 0, reasoningTokens: 0 },
    usageChunk: true,
    text: '',
    toolCalls: [
      { name: 'get_current_weather', arguments: '{"location": "Seattle, WA"}' },
      { name: 'get_current_weather', arguments: '{"location": "San Francisco, CA"}' },
    ],
  },
  {
    fixture: 'deepseek/chat-stream-reasoning-content',
    preset: 'deepseek',
    model: 'deepseek-reasoner',
    id: '33be18fc-3842-486c-8c29-dd8e578f7f20',
    finishReasons: ['stop'],
    usage: { inputTokens: 6, outputTokens: 212, cacheReadTokens: 0, reasoningTokens: 198 },
    usageChunk: false,
    text: 'Hello there! \u{1F60A} How can I help you today?',
    toolCalls: [],
  },
  {
    fixture: 'deepseek/chat-stream-reasoning-tool-calls',
    preset: 'deepseek',
    model: 'deepseek-reasoner',
    id: 'cca85624-4056-401f-b220-d77601d1f70d',
    finishReasons: ['tool_calls'],
    usage: { inputTokens: 339, outputTokens: 83, cacheReadTokens: 320, reasoningTokens: 39 },
    usageChunk: false,
    text: '',
    toolCalls: [weatherSF],
  },
  {
    fixture: 'deepseek/chat-stream-usage',
    preset: 'deepseek',
    model: 'deepseek-chat',
    id: 'ae36ce18-5dd0-4b09-9f33-09d49ad58b00',
    finishReasons: ['stop'],
    usage: { inputTokens: 12, outputTokens: 89, cacheReadTokens: 0 },
    usageChunk: false,
    text: { startsWith: "Sure! Here's a techy joke for you:", codePoints: 340 },
    toolCalls: [],
  },
  {
    fixture: 'qwen/chat-stream-reasoning-usage',
    preset: 'qwen',
    model: 'qwen3-max',
    id: 'chatcmpl-3792851e-8f1b-9182-a1dc-b84603c81344',
    finishReasons: ['stop'],
    usage: { inputTokens: 24, outputTokens: 1355, cacheReadTokens: 0, reasoningTokens: 1084 },
    usageChunk: true,
    text: { startsWith: 'The word **"strawberry"** contains **3** instances', codePoints: 816 },
    toolCalls: [],
  },
  {
    fixture: 'qwen/chat-stream-tool-call-usage',
    preset: 'qwen',
    model: 'qwen3-max',
    id: 'chatcmpl-8e243c57-23b3-9db2-a02e-e3c53929c368',
    finishReasons: ['tool_calls'],
    usage: { inputTokens: 295, outputTokens: 22, cacheReadTokens: 0 },
    usageChunk: true,
    text: '',
    toolCalls: [weatherSF],
  },
  {
    fixture: 'glm/chat-stream-thinking-usage',
    preset: 'glm',
    model: 'glm-4.7',
    id: '202607010739425543ff9439144b2c',
    finishReasons: ['stop'],
    usage: { inputTokens: 13, outputTokens: 564, cacheReadTokens: 0, reasoningTokens: 561 },
    usageChunk: false,
    text: '4',
    toolCalls: [],
  },
  {
    fixture: 'mistral/chat-stream-text-usage',
    preset: 'mistral',
    model: 'mistral-tiny',
    id: '6dc321029f5d4aa5899c1b38c9657a61',
    finishReasons: ['stop'],
    usage: { inputTokens: 11, outputTokens: 80 },
    usageChunk: false,
    text: { startsWith: "Here's a light-hearted joke that combines OpenTelemetry", codePoints: 297 },
    toolCalls: [],
  },
  {
    fixture: 'mistral/chat-stream-tool-call',
    preset: 'mistral',
    model: 'mistral-small-latest',
    id: 'b3999b8c93e04e11bcbff7bcab829667',
    finishReasons: ['tool_calls'],
    usage: { inputTokens: 124, outputTokens: 22 },
    usageChunk: false,
    text: '',
    toolCalls: [weatherSF],
  },
  {
    // xAI counts reasoning outside completion_tokens: total 560 = 307 + 26 + 227, so output = 26 + 227.
    fixture: 'xai/chat-stream-reasoning-tool-call',
    preset: 'xai',
    model: 'grok-3-mini',
    id: '7027d986-3c59-a37a-9a5f-50713e01c8a6',
    finishReasons: ['tool_calls'],
    usage: { inputTokens: 307, outputTokens: 253, cacheReadTokens: 306, reasoningTokens: 227 },
    usageChunk: true,
    text: '',
    toolCalls: [{ name: 'weather', arguments: '{"location":"San Francisco"}' }],
  },
  {
    fixture: 'hand-derived/moonshot-chat-stream',
    preset: 'moonshot',
    model: 'kimi-k2-turbo-preview',
    id: 'cmpl-1305b94c570f447fbde3180560736287',
    finishReasons: ['stop'],
    usage: { inputTokens: 19, outputTokens: 13 },
    usageChunk: false,
    text: '\u4f60\u597d\u3002',
    toolCalls: [],
  },
  {
    // Without stream_options Ark sends usage:null on every chunk: the reason we inject it.
    fixture: 'hand-derived/doubao-chat-stream',
    preset: 'doubao',
    model: 'doubao-1-5-pro-32k-250115',
    id: '021742632435712396f12d018b5d576a7a55349c2eba0815061fc',
    finishReasons: ['stop'],
    usage: undefined,
    usageChunk: false,
    text: 'Hello! How can I help you today?',
    toolCalls: [],
  },
];

export const RESPONSE_CASES: ResponseCase[] = [
  {
    fixture: 'openai/chat-completion-cached-tokens',
    preset: 'openai',
    operation: 'chat',
    model: 'gpt-4o-mini-2024-07-18',
    id: 'chatcmpl-BNi420iFNtIOHzy8Gq2fVS5utTus7',
    finishReasons: ['stop'],
    usage: { inputTokens: 1149, outputTokens: 353, cacheReadTokens: 1024, reasoningTokens: 0 },
  },
  {
    fixture: 'openai/chat-completion-reasoning',
    preset: 'openai',
    operation: 'chat',
    model: 'gpt-5-nano-2025-08-07',
    id: 'chatcmpl-C6DUm0Lah8z5kRsRhhtk97oh5ey0B',
    finishReasons: ['stop'],
    usage: { inputTokens: 11, outputTokens: 228, cacheReadTokens: 0, reasoningTokens: 192 },
  },
  {
    fixture: 'openai/chat-completion-tool-calls',
    preset: 'openai',
    operation: 'chat',
    model: 'gpt-4o-mini-2024-07-18',
    id: 'chatcmpl-ASYMU9Ntix7ePttk0MSuerJstef6U',
    finishReasons: ['tool_calls'],
    usage: { inputTokens: 75, outputTokens: 51, cacheReadTokens: 0, reasoningTokens: 0 },
  },
  {
    fixture: 'openai/embeddings-float',
    preset: 'openai',
    operation: 'embeddings',
    model: 'text-embedding-3-small',
    usage: { inputTokens: 8 },
  },
  {
    fixture: 'openai/embeddings-base64',
    preset: 'openai',
    operation: 'embeddings',
    model: 'text-embedding-3-small',
    usage: { inputTokens: 5 },
  },
  {
    fixture: 'deepseek/chat-completion-reasoning',
    preset: 'deepseek',
    operation: 'chat',
    model: 'deepseek-reasoner',
    id: '945bb10c-9bf3-47ff-a2a2-43bbe9705c72',
    finishReasons: ['stop'],
    usage: { inputTokens: 18, outputTokens: 345, cacheReadTokens: 0, reasoningTokens: 315 },
  },
  {
    fixture: 'qwen/chat-completion-tool-call',
    preset: 'qwen',
    operation: 'chat',
    model: 'qwen3-max',
    id: 'chatcmpl-bc7fc58d-c03f-9c9f-af73-91bea326c99f',
    finishReasons: ['tool_calls'],
    usage: { inputTokens: 295, outputTokens: 22, cacheReadTokens: 0 },
  },
  {
    fixture: 'glm/chat-completion',
    preset: 'glm',
    operation: 'chat',
    model: 'glm-4.7',
    id: '20260701073925df703dd30a854c37',
    finishReasons: ['stop'],
    usage: { inputTokens: 13, outputTokens: 437, cacheReadTokens: 0, reasoningTokens: 427 },
  },
  {
    // xAI: total 588 = 307 + 26 + 255 → reasoning is outside completion_tokens.
    fixture: 'xai/chat-completion-reasoning-tool-call',
    preset: 'xai',
    operation: 'chat',
    model: 'grok-3-mini',
    id: 'acfa24c3-b556-0f2c-731e-64fb836d544b',
    finishReasons: ['tool_calls'],
    usage: { inputTokens: 307, outputTokens: 281, cacheReadTokens: 244, reasoningTokens: 255 },
  },
  {
    fixture: 'hand-derived/doubao-chat-completion',
    preset: 'doubao',
    operation: 'chat',
    model: 'doubao-1-5-pro-32k-250115',
    id: '0217426318107460cfa43dc3f3683b1de1c09624ff49085a456ac',
    finishReasons: ['stop'],
    usage: { inputTokens: 19, outputTokens: 9, cacheReadTokens: 0, reasoningTokens: 0 },
  },
];

export const ERROR_CASES: ErrorCase[] = [
  {
    fixture: 'openai/error-400-unsupported-parameter',
    kind: 'upstream_client_error',
    status: 400,
    upstreamStatus: 400,
    message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
    param: 'max_tokens',
    code: 'unsupported_parameter',
  },
  {
    fixture: 'openai/error-400-images-unknown-parameter',
    kind: 'upstream_client_error',
    status: 400,
    upstreamStatus: 400,
    message: "Unknown parameter: 'quality'.",
    param: 'quality',
    code: 'unknown_parameter',
  },
  {
    fixture: 'openai/error-404-model-not-found',
    kind: 'upstream_client_error',
    status: 404,
    upstreamStatus: 404,
    message: 'The model `gpt-4.1-nano-wrong` does not exist or you do not have access to it.',
    param: null,
    code: 'model_not_found',
  },
  {
    fixture: 'openai/error-429-insufficient-quota',
    headers: { 'retry-after': '7' },
    kind: 'upstream_rate_limited',
    status: 429,
    upstreamStatus: 429,
    message:
      'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
    param: null,
    code: 'insufficient_quota',
    retryAfterMs: 7000,
  },
  {
    fixture: 'azure-openai/error-401-access-denied',
    kind: 'upstream_auth',
    status: 401,
    upstreamStatus: 401,
    message:
      'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
    param: null,
    code: '401',
  },
];
