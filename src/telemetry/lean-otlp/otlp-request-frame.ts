import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { utf8 } from '../../core/json-bytes.js';
import { encodeAttributes } from './otlp-attribute-bytes.js';

type Scope = ReadableSpan['instrumentationScope'];

/**
 * Consecutive spans of one resource and scope, encoded: `bytes[0, start)` is the head of a request
 * holding only this resource and scope (`framing`), and `bytes[start, ends[i])` the first i + 1 span
 * objects separated by commas.
 */
export interface Chunk {
  resource: Resource;
  scope: Scope;
  bytes: Buffer;
  start: number;
  ends: number[];
  /** Whether the head was written with the resource's final attributes (none still being detected). */
  headFinal: boolean;
  /** Whether its spans also go to the span ledger (then a chunk holds only such spans). */
  ledger: boolean;
  /** Spans already handed to the ledger (the first `ledgered` of `ends`). */
  ledgered: number;
  /** SERVER spans among those not yet handed to the ledger (the ledger's rows). */
  calls: number;
}

/**
 * The JSON around the spans of an OTLP ExportTraceServiceRequest, `{"resourceSpans":[...]}`, grouped
 * by resource, then scope, as the official serializer does. A chunk starts with the head of a
 * request of its own resource and scope, so a batch that is one whole chunk becomes the request
 * body in place: the tail is written after the last span and nothing is copied.
 */
export class RequestFraming {
  private readonly resources = new WeakMap<Resource, string>();
  private readonly framed = new WeakMap<Resource, Map<string, { head: Uint8Array; tail: Uint8Array }>>();

  /** Head and tail of a request holding spans of one resource and scope. */
  frame(resource: Resource, scope: Scope): { head: Uint8Array; tail: Uint8Array } {
    const final = !resource.asyncAttributesPending;
    let byScope = final ? this.framed.get(resource) : undefined;
    const key = scopeKey(scope);
    let f = byScope?.get(key);
    if (f === undefined) {
      f = {
        head: utf8(`${REQUEST_OPEN}${this.resourceOpen(resource, true)}${scopeOpen(scope, true)}`),
        tail: utf8(`${scopeClose(scope)}${resourceClose(resource)}${REQUEST_CLOSE}`),
      };
      if (final) {
        if (byScope === undefined) {
          byScope = new Map();
          this.framed.set(resource, byScope);
        }
        byScope.set(key, f);
      }
    }
    return f;
  }

  /** A request for chunks of any resources and scopes (their spans, without their heads). */
  request(batch: readonly Chunk[]): Buffer {
    const byResource = new Map<Resource, Map<string, Chunk[]>>();
    for (const c of batch) {
      let scopes = byResource.get(c.resource);
      if (scopes === undefined) {
        scopes = new Map();
        byResource.set(c.resource, scopes);
      }
      const key = scopeKey(c.scope);
      const list = scopes.get(key);
      if (list === undefined) scopes.set(key, [c]);
      else list.push(c);
    }
    const parts: Buffer[] = [Buffer.from(REQUEST_OPEN)];
    let firstResource = true;
    for (const [resource, scopes] of byResource) {
      parts.push(Buffer.from(this.resourceOpen(resource, firstResource)));
      firstResource = false;
      let firstScope = true;
      for (const chunks of scopes.values()) {
        const scope = (chunks[0] as Chunk).scope;
        parts.push(Buffer.from(scopeOpen(scope, firstScope)));
        firstScope = false;
        chunks.forEach((c, i) => {
          if (i > 0) parts.push(COMMA_BYTES);
          parts.push(c.bytes.subarray(c.start, c.ends[c.ends.length - 1]));
        });
        parts.push(Buffer.from(scopeClose(scope)));
      }
      parts.push(Buffer.from(resourceClose(resource)));
    }
    parts.push(Buffer.from(REQUEST_CLOSE));
    return Buffer.concat(parts);
  }

  private resourceOpen(resource: Resource, first: boolean): string {
    return `${first ? '' : ','}{"resource":${this.resourceJson(resource)},"scopeSpans":[`;
  }

  private resourceJson(resource: Resource): string {
    let json = this.resources.get(resource);
    if (json === undefined) {
      const schemaUrl = resource.schemaUrl ? `,"schemaUrl":${JSON.stringify(resource.schemaUrl)}` : '';
      json = `{"attributes":${encodeAttributes(resource.attributes)},"droppedAttributesCount":0${schemaUrl}}`;
      // Resources with attributes still being detected are encoded again next time.
      if (!resource.asyncAttributesPending) this.resources.set(resource, json);
    }
    return json;
  }
}

function scopeKey(scope: Scope): string {
  return `${scope.name}@${scope.version ?? ''}:${scope.schemaUrl ?? ''}`;
}

function scopeOpen(scope: Scope, first: boolean): string {
  return `${first ? '' : ','}{"scope":${JSON.stringify({ name: scope.name, version: scope.version })},"spans":[`;
}

function scopeClose(scope: Scope): string {
  return `]${scope.schemaUrl !== undefined ? `,"schemaUrl":${JSON.stringify(scope.schemaUrl)}` : ''}}`;
}

function resourceClose(resource: Resource): string {
  const schemaUrl = resource.schemaUrl ? resource.schemaUrl : undefined;
  return `]${schemaUrl !== undefined ? `,"schemaUrl":${JSON.stringify(schemaUrl)}` : ''}}`;
}

const REQUEST_OPEN = '{"resourceSpans":[';
const REQUEST_CLOSE = ']}';
const COMMA_BYTES = Buffer.from(',');
