import type { AttributeValue, Attributes } from '@opentelemetry/api';
import type { AttributeWriter } from '../span-attributes.js';
import { utf8 } from '../../core/json-bytes.js';
import { SpanBytes } from './span-bytes.js';

/**
 * An OTLP/JSON `attributes` array written straight into SpanBytes, one attribute at a time
 * (span-attributes.ts hands them over), with the bytes `JsonTraceSerializer` writes: integers as
 * `intValue`, other numbers as `doubleValue`, arrays as `arrayValue`. Each attribute is a cached,
 * pre-encoded head then its value, and the `}}` that closes the value and the attribute is left
 * owing: the next head starts with it (`}},{"key":"…","value":{"stringValue":`), or `end` writes
 * it. One copy per attribute, not two.
 *
 * Reusable: `begin`, attributes, `end`. The list of keys a span kind writes is the same from one
 * span to the next, so the writer remembers the head it used at each position and only looks a
 * key up when the key at that position changed: use one writer per kind of span. Most values also
 * repeat from one call to the next (method, path, operation, provider, model, server, config hash,
 * counts, status): a value that came twice in a row at a position is kept as bytes, head included,
 * and copied in one go while it keeps coming. The same key, value (`===`), position and place
 * (first or not) give the same bytes.
 */
export class OtlpAttributeBytes implements AttributeWriter {
  private w: SpanBytes = EMPTY_WRITER;
  private first = true;
  private at = 0;
  /** What each position of the list had last time (MAX_POSITIONS at most). */
  private readonly slots: Slot[] = [];

  /** Starts the array (`[`) in `w`. */
  begin(w: SpanBytes): void {
    this.w = w;
    this.first = true;
    this.at = 0;
    w.byte(OPEN_BRACKET);
  }

  /** Ends the array (`]`) and lets go of the SpanBytes. */
  end(): void {
    const w = this.w;
    if (this.finish()) w.bytes(CLOSE_2_BRACKET);
    else w.byte(CLOSE_BRACKET);
  }

  /**
   * Lets go of the SpanBytes without ending the array: the caller writes `}}]` if this returns
   * true (attributes were written, the last one's `}}` is owed), `]` otherwise.
   */
  finish(): boolean {
    this.w = EMPTY_WRITER;
    return !this.first;
  }

  attr(key: string, value: AttributeValue | null | undefined): void {
    const at = this.at++;
    if (value === undefined || value === null) return;
    let slot = this.slots[at];
    if (slot === undefined) {
      if (at >= MAX_POSITIONS) {
        this.write(headsOf(key), value);
        return;
      }
      slot = new Slot(key);
      this.slots[at] = slot;
    } else if (slot.key !== key) {
      slot.key = key;
      slot.heads = headsOf(key);
      slot.value = undefined;
    } else if (slot.value === value && slot.first === this.first) {
      // The value this position had last time: its bytes (head included) once it came twice.
      const known = slot.bytes;
      if (known !== undefined) {
        this.w.bytes(known);
        this.first = false;
        return;
      }
      const from = this.w.pos;
      this.write(slot.heads, value);
      slot.bytes = this.w.copy(from, this.w.pos);
      return;
    }
    // A primitive is remembered (strings by content, through ===); arrays never repeat, and long
    // strings (captured content) are neither kept nor compared.
    slot.value = typeof value === 'object' || (typeof value === 'string' && value.length > MAX_KEPT_STRING) ? undefined : value;
    slot.first = this.first;
    slot.bytes = undefined;
    this.write(slot.heads, value);
  }

  /** Any value, null and undefined included (`{}`), as encodeAttributes writes an Attributes object. */
  attrAny(key: string, value: AttributeValue | null | undefined): void {
    this.write(headsOf(key), value);
  }

  /** Head and value; the attribute's closing `}}` is owed (see the class comment). */
  private write(h: Heads, value: AttributeValue | null | undefined): void {
    const w = this.w;
    const first = this.first;
    this.first = false;
    switch (typeof value) {
      case 'string':
        w.bytes(first ? h.str0 : h.str);
        w.string(value);
        return;
      case 'number':
        if (Number.isInteger(value)) {
          w.bytes(first ? h.int0 : h.int);
          w.int(value);
        } else {
          w.bytes(first ? h.double0 : h.double);
          w.number(value);
        }
        return;
      case 'boolean':
        w.bytes(first ? h.any0 : h.any);
        w.bytes(value ? BOOL_TRUE_OPEN : BOOL_FALSE_OPEN);
        return;
      default:
        w.bytes(first ? h.any0 : h.any);
        anyValue(w, value);
        // Every AnyValue ends with `}`: take it back, it is the first of the owed `}}`.
        w.pos--;
    }
  }
}

/** `attributes` (an Attributes object, every own key, undefined values as `{}`) as an OTLP array. */
export function writeAttributesObject(w: SpanBytes, attributes: Attributes): void {
  const out = OBJECT_WRITER;
  out.begin(w);
  for (const key in attributes) {
    if (Object.hasOwn(attributes, key)) out.attrAny(key, attributes[key]);
  }
  out.end();
}

/** The same, as a string. */
export function encodeAttributes(attributes: Attributes): string {
  const w = SCRATCH;
  w.reset(w.buf, 0);
  writeAttributesObject(w, attributes);
  return w.text();
}

/** An OTLP AnyValue. */
function anyValue(w: SpanBytes, v: AttributeValue | null | undefined): void {
  switch (typeof v) {
    case 'string':
      w.bytes(STRING_VALUE);
      w.string(v);
      w.byte(CLOSE_BRACE);
      return;
    case 'number':
      if (Number.isInteger(v)) {
        w.bytes(INT_VALUE);
        w.int(v);
      } else {
        w.bytes(DOUBLE_VALUE);
        w.number(v);
      }
      w.byte(CLOSE_BRACE);
      return;
    case 'boolean':
      w.bytes(v ? BOOL_TRUE : BOOL_FALSE);
      return;
    default:
      if (Array.isArray(v)) {
        w.bytes(ARRAY_VALUE);
        for (let i = 0; i < v.length; i++) {
          if (i > 0) w.byte(COMMA);
          anyValue(w, v[i]);
        }
        w.bytes(ARRAY_END);
        return;
      }
      w.bytes(EMPTY_OBJECT);
  }
}

/**
 * A key's pre-encoded heads: `}},{"key":…,"value":` (closing the attribute before) and, for the
 * first attribute, `{"key":…,"value":` (`…0`); then the start of the value.
 */
interface Heads {
  any: Uint8Array;
  str: Uint8Array;
  int: Uint8Array;
  double: Uint8Array;
  any0: Uint8Array;
  str0: Uint8Array;
  int0: Uint8Array;
  double0: Uint8Array;
}

/** A position of a span kind's list: its key's heads, its last value, its bytes once it repeated. */
class Slot {
  heads: Heads;
  value: unknown = undefined;
  first = false;
  bytes: Uint8Array | undefined = undefined;
  constructor(public key: string) {
    this.heads = headsOf(key);
  }
}

const HEADS = new Map<string, Heads>();
const MAX_CACHED_KEYS = 1024;
const MAX_POSITIONS = 64;
const MAX_KEPT_STRING = 256;

function headsOf(key: string): Heads {
  let h = HEADS.get(key);
  if (h === undefined) {
    const any = `{"key":${JSON.stringify(key)},"value":`;
    h = {
      any: utf8(`}},${any}`),
      str: utf8(`}},${any}{"stringValue":`),
      int: utf8(`}},${any}{"intValue":`),
      double: utf8(`}},${any}{"doubleValue":`),
      any0: utf8(any),
      str0: utf8(`${any}{"stringValue":`),
      int0: utf8(`${any}{"intValue":`),
      double0: utf8(`${any}{"doubleValue":`),
    };
    if (HEADS.size < MAX_CACHED_KEYS) HEADS.set(key, h);
  }
  return h;
}

const EMPTY_WRITER = new SpanBytes(Buffer.alloc(0));
/** Reused by the string wrapper (nothing else writes to it). */
const SCRATCH = new SpanBytes();
const OBJECT_WRITER = new OtlpAttributeBytes();
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;
const CLOSE_2_BRACKET = utf8('}}]');
const STRING_VALUE = utf8('{"stringValue":');
const INT_VALUE = utf8('{"intValue":');
const DOUBLE_VALUE = utf8('{"doubleValue":');
const BOOL_TRUE = utf8('{"boolValue":true}');
const BOOL_FALSE = utf8('{"boolValue":false}');
const BOOL_TRUE_OPEN = utf8('{"boolValue":true');
const BOOL_FALSE_OPEN = utf8('{"boolValue":false');
const ARRAY_VALUE = utf8('{"arrayValue":{"values":[');
const ARRAY_END = utf8(']}}');
const EMPTY_OBJECT = utf8('{}');
