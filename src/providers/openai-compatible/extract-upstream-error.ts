import { asString, isRecord, type JsonRecord, tryParseJson } from '../shared/json.js';
import { sanitizeUpstreamMessage } from '../shared/redact-secrets.js';

/** What an upstream error body said, already sanitised (no keys, bounded length). */
export interface UpstreamErrorInfo {
  message?: string;
  type?: string;
  code?: string;
  param?: string;
}

function str(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  const s = asString(v);
  return s === undefined || s === '' ? undefined : s;
}

/** FastAPI / pydantic validation details (Mistral 422): keep `loc` and `msg`, never `input`. */
function formatDetail(detail: unknown): string | undefined {
  if (typeof detail === 'string') return detail;
  if (!Array.isArray(detail)) return undefined;
  const parts: string[] = [];
  for (const d of detail) {
    if (!isRecord(d)) continue;
    const msg = asString(d.msg);
    if (!msg) continue;
    const loc = Array.isArray(d.loc) ? d.loc.filter((x) => typeof x === 'string' || typeof x === 'number').join('.') : '';
    parts.push(loc ? `${loc}: ${msg}` : msg);
  }
  return parts.length > 0 ? parts.join('; ') : undefined;
}

function messageOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (isRecord(v)) return formatDetail(v.detail) ?? asString(v.message);
  return undefined;
}

function fromObject(o: JsonRecord, outer?: JsonRecord): UpstreamErrorInfo {
  const info: UpstreamErrorInfo = {};
  const message = messageOf(o.message) ?? formatDetail(o.detail) ?? (outer ? messageOf(outer.message) : undefined);
  if (message) info.message = sanitizeUpstreamMessage(message);
  const type = str(o.type) ?? (outer ? str(outer.type) : undefined);
  if (type) info.type = type;
  const code = str(o.code) ?? (outer ? str(outer.code) : undefined);
  if (code) info.code = code;
  const param = str(o.param);
  if (param) info.param = param;
  return info;
}

/**
 * Reads the error shapes OpenAI-compatible vendors send:
 * `{error:{message,type,param,code}}` (OpenAI, DashScope, DeepSeek, Azure `{error:{code:"401",…}}`,
 * Zhipu `{error:{code:"1211",message}}`), `{error:"text", code}` (xAI),
 * `{object:"error",message,type,param,code}` (Mistral; message may hold `{detail:[…]}`),
 * `{detail:…}`, `{code,message}` (DashScope native). Returns undefined for garbage.
 */
export function extractUpstreamError(body: Buffer | string): UpstreamErrorInfo | undefined {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const parsed = tryParseJson(text);
  if (!parsed.ok) return undefined;
  return extractUpstreamErrorValue(parsed.value);
}

export function extractUpstreamErrorValue(value: unknown): UpstreamErrorInfo | undefined {
  if (!isRecord(value)) return undefined;
  let info: UpstreamErrorInfo;
  if (isRecord(value.error)) info = fromObject(value.error, value);
  else if (typeof value.error === 'string') info = fromObject({ ...value, message: value.error });
  else info = fromObject(value);
  return info.message || info.code || info.type ? info : undefined;
}
