import { GatewayError } from '../../core/errors.js';
import { headerValue } from '../shared/parse-retry-after.js';
import { asString, isRecord, type JsonRecord, tryParseJson } from '../shared/json.js';
import type { ParsedResponse, UpstreamResponseInput } from '../types.js';
import { extractUpstreamErrorValue } from './extract-upstream-error.js';
import { mapInBandErrorKind } from './map-upstream-status.js';
import { normalizeOpenAiUsage } from './normalize-usage.js';

function badResponse(status: number, message: string): GatewayError {
  return new GatewayError({ kind: 'upstream_bad_response', message, upstreamStatus: status });
}

function chatFacts(doc: JsonRecord): Pick<ParsedResponse, 'finishReasons' | 'outputText'> {
  const finishReasons: string[] = [];
  const texts: string[] = [];
  for (const choice of doc.choices as unknown[]) {
    if (!isRecord(choice)) continue;
    const reason = asString(choice.finish_reason);
    if (reason) finishReasons.push(reason);
    const content = isRecord(choice.message) ? asString(choice.message.content) : undefined;
    if (content) texts.push(content);
  }
  return { finishReasons, ...(texts.length > 0 ? { outputText: texts.join('\n') } : {}) };
}

/**
 * A 2xx non-stream response: validate it is the JSON we expect and read usage, model, id and
 * finish reasons. The body goes to the app untouched. Garbage → upstream_bad_response; an error
 * object inside a 2xx body → the error it describes.
 */
export function parseOpenAiResponse(input: UpstreamResponseInput): ParsedResponse {
  const parsed = tryParseJson(input.body.toString('utf8'));
  if (!parsed.ok || !isRecord(parsed.value)) {
    throw badResponse(input.status, 'Upstream returned a response body that is not a JSON object.');
  }
  const doc = parsed.value;
  const listKey = input.operation === 'chat' ? 'choices' : 'data';
  if (!Array.isArray(doc[listKey])) {
    const info = extractUpstreamErrorValue(doc);
    if (info && doc[listKey] === undefined && (isRecord(doc.error) || typeof doc.error === 'string')) {
      throw new GatewayError({
        kind: mapInBandErrorKind(info),
        message: info.message ?? 'Upstream returned an error inside a successful response.',
        param: info.param ?? null,
        code: info.code ?? info.type ?? null,
        upstreamStatus: input.status,
      });
    }
    throw badResponse(input.status, `Upstream response has no \`${listKey}\` array.`);
  }
  const out: ParsedResponse = {
    body: input.body,
    contentType: headerValue(input.headers, 'content-type') ?? 'application/json',
  };
  const usage = normalizeOpenAiUsage(doc.usage);
  if (usage) out.usage = usage;
  const model = asString(doc.model);
  if (model) out.responseModel = model;
  const id = asString(doc.id);
  if (id) out.responseId = id;
  if (input.operation === 'chat') Object.assign(out, chatFacts(doc));
  return out;
}
