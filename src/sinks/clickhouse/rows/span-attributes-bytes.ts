import type { AttributeValue, Attributes } from '@opentelemetry/api';
import type { AttributeWriter } from '../../../telemetry/span-attributes.js';
import { attrString, quotedKey, resourceColumns } from './otel-span-row.js';
import { utf8 } from '../../../core/json-bytes.js';
import type { RowBytes } from './row-bytes.js';

/**
 * Writes a span's attributes, as they come, straight into row bytes as the `SpanAttributes`
 * Map(String, String): `serializeAttributesMap` of the same attributes, byte for byte. Each key's
 * `","key":"` (the previous value's closing quote, the comma, the key) is encoded once, then the value
 * as a string (pcommon.Value.AsString: strings as they are, numbers and booleans as `String(v)`,
 * arrays as JSON).
 *
 * Spans of one kind hand over the same keys in the same order, and many values repeat from span to
 * span (method, route, models, provider, status, counts): each key of a kind has a slot that keeps
 * the encoded head and, once a value came twice in a row, the encoded head + value, copied as one
 * piece while the value stays the same. Each position remembers its last slot (one comparison
 * instead of a Map lookup). One instance is reused: `begin` before a span's attributes, `end` after.
 */
export class SpanAttributesBytes implements AttributeWriter {
  #w: RowBytes | null = null;
  #n = 0;
  #at = 0;
  #kind: KindSlots = { positions: [], byKey: new Map() };
  readonly #kinds = new Map<number, KindSlots>();
  /** A name an object would reorder (the row must take the object path). */
  odd = false;

  begin(w: RowBytes, kind: number): void {
    this.#w = w;
    this.#n = 0;
    this.#at = 0;
    this.odd = false;
    let slots = this.#kinds.get(kind);
    if (slots === undefined) {
      slots = { positions: [], byKey: new Map() };
      if (this.#kinds.size < 16) this.#kinds.set(kind, slots);
    }
    this.#kind = slots;
  }

  end(): void {
    const w = this.#w as RowBytes;
    w.bytes(this.#n === 0 ? EMPTY_MAP : END_MAP);
    this.#w = null;
  }

  attr(key: string, value: AttributeValue | null | undefined): void {
    const at = this.#at++;
    if (value === undefined || value === null || this.odd) return;
    let slot = this.#kind.positions[at];
    if (slot === undefined || slot.key !== key) {
      slot = this.#slotOf(key);
      if (slot === undefined) {
        this.odd = true;
        return;
      }
      if (at < MAX_POSITIONS) this.#kind.positions[at] = slot;
    }
    const w = this.#w as RowBytes;
    const first = this.#n++ === 0;
    if (slot.value === value && slot.pair !== null && slot.first === first) {
      w.bytes(slot.pair);
      return;
    }
    const start = w.pos;
    w.bytes(first ? slot.head.first : slot.head.next);
    if (typeof value === 'string') w.stringContent(value);
    else if (typeof value === 'number') w.numberString(value);
    else if (typeof value === 'boolean') w.bytes(value ? TRUE : FALSE);
    else if (!(Array.isArray(value) && plainStringArray(w, value))) w.stringContent(attrString(value));
    // Primitive values only (an array could change between spans), and no long strings (captured
    // content would stay in memory after its span).
    if (slot.value === value && typeof value !== 'object') {
      slot.pair = new Uint8Array(w.buf.subarray(start, w.pos));
      slot.first = first;
    } else {
      slot.value = typeof value === 'string' && value.length > MAX_KEPT_LENGTH ? undefined : value;
      slot.pair = null;
    }
  }

  #slotOf(key: string): Slot | undefined {
    let slot = this.#kind.byKey.get(key);
    if (slot === undefined) {
      const head = headOf(key);
      if (head === undefined) return undefined;
      slot = { key, head, value: undefined, pair: null, first: false };
      if (this.#kind.byKey.size >= MAX_KEYS) this.#kind.byKey.clear();
      this.#kind.byKey.set(key, slot);
    }
    return slot;
  }
}

/** One attribute key of one span kind. */
interface Slot {
  key: string;
  head: Head;
  /** The last value written (undefined: none). */
  value: unknown;
  /** Head + value of `value`, once it came twice in a row; `first` says which head. */
  pair: Uint8Array | null;
  first: boolean;
}

interface KindSlots {
  positions: Slot[];
  byKey: Map<string, Slot>;
}

const MAX_POSITIONS = 64;
const MAX_KEPT_LENGTH = 256;
const MAX_KEYS = 256;

/**
 * `JSON.stringify(JSON.stringify(v)).slice(1, -1)` for an array of strings that JSON keeps as they
 * are (`[\"stop\"]`): the common shape (finish reasons) without the two stringify passes. Writes
 * nothing and returns false for any other array.
 */
function plainStringArray(w: RowBytes, v: readonly unknown[]): boolean {
  const start = w.pos;
  w.byte(91);
  for (let i = 0; i < v.length; i++) {
    const e = v[i];
    w.bytes(i === 0 ? QUOTE : COMMA_QUOTE);
    if (typeof e !== 'string' || !w.plain(e)) {
      w.pos = start;
      return false;
    }
    w.bytes(QUOTE);
  }
  w.byte(93);
  return true;
}

/** `{"key":"` (first) and `","key":"` (next), or undefined for a name an object would reorder. */
interface Head {
  first: Uint8Array;
  next: Uint8Array;
}

function headOf(key: string): Head | undefined {
  let head = HEADS.get(key);
  if (head === undefined) {
    const k = quotedKey(key);
    if (k === undefined) return undefined;
    head = { first: utf8(`{${k}"`), next: utf8(`",${k}"`) };
    if (HEADS.size >= HEADS_MAX) HEADS.clear();
    HEADS.set(key, head);
  }
  return head;
}

const HEADS = new Map<string, Head>();
const HEADS_MAX = 4096;
const TRUE = utf8('true');
const FALSE = utf8('false');
const EMPTY_MAP = utf8('{}');
const QUOTE = utf8('\\"');
const COMMA_QUOTE = utf8(',\\"');
const END_MAP = utf8('"}');

// A resource's attributes object is shared by every span of the process: its columns
// (`"ServiceName":…,"ResourceAttributes":{…}`) are encoded once per object.
const RESOURCES = new WeakMap<Attributes, Uint8Array>();

/** `"ServiceName":<service.name>,"ResourceAttributes":<map>` of a resource's attributes. */
export function resourceColumnBytes(attrs: Attributes | undefined): Uint8Array {
  const cached = typeof attrs === 'object' && attrs !== null ? RESOURCES.get(attrs) : undefined;
  if (cached !== undefined) return cached;
  const r = resourceColumns(attrs);
  const bytes = utf8(`"ServiceName":${r.service},"ResourceAttributes":${r.map}`);
  if (typeof attrs === 'object' && attrs !== null) RESOURCES.set(attrs, bytes);
  return bytes;
}
