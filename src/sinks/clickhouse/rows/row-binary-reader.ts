/**
 * Reads RowBinary (the layout binary-values.ts writes) by the columns' ClickHouse types: the whole
 * values (`readRowBinary`, for tests and tools), or only how many rows a body holds
 * (`countRowBinaryRows`, for the bench's discarding ClickHouse, which must count what it would
 * have stored). Types: String, FixedString(n), Bool, (U)Int8–64, Float32/64, Date, Date32,
 * DateTime, DateTime64, UUID, Nullable, LowCardinality, Array, Tuple (named or not) and Map.
 *
 * Values: strings; numbers (a 64-bit integer beyond 2^53 as a bigint); booleans; DateTime64 as a
 * bigint of ticks; Nullable NULL as null; arrays and tuples as arrays; a Map as an object.
 */
export interface Column {
  name: string;
  type: string;
}

interface Codec {
  read(r: Cursor): unknown;
  skip(r: Cursor): void;
}

class Cursor {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  need(n: number): void {
    if (this.pos + n > this.buf.length)
      throw new RangeError(`RowBinary: ${n} bytes needed at ${this.pos}, ${this.buf.length - this.pos} left`);
  }

  varint(): number {
    let n = 0;
    let shift = 0;
    for (;;) {
      this.need(1);
      const b = this.buf[this.pos++] as number;
      n += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return n;
      shift += 7;
      if (shift > 49) throw new RangeError('RowBinary: length too long');
    }
  }
}

function fixed(n: number, read: (b: Buffer, at: number) => unknown): Codec {
  return {
    read(r) {
      r.need(n);
      const v = read(r.buf, r.pos);
      r.pos += n;
      return v;
    },
    skip(r) {
      r.need(n);
      r.pos += n;
    },
  };
}

const safe = (v: bigint): number | bigint =>
  v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;

const STRING: Codec = {
  read(r) {
    const n = r.varint();
    r.need(n);
    const s = r.buf.toString('utf8', r.pos, r.pos + n);
    r.pos += n;
    return s;
  },
  skip(r) {
    const n = r.varint();
    r.need(n);
    r.pos += n;
  },
};

const SIMPLE: Record<string, Codec> = {
  String: STRING,
  Bool: fixed(1, (b, at) => b[at] !== 0),
  UInt8: fixed(1, (b, at) => b.readUInt8(at)),
  Int8: fixed(1, (b, at) => b.readInt8(at)),
  UInt16: fixed(2, (b, at) => b.readUInt16LE(at)),
  Int16: fixed(2, (b, at) => b.readInt16LE(at)),
  UInt32: fixed(4, (b, at) => b.readUInt32LE(at)),
  Int32: fixed(4, (b, at) => b.readInt32LE(at)),
  UInt64: fixed(8, (b, at) => safe(b.readBigUInt64LE(at))),
  Int64: fixed(8, (b, at) => safe(b.readBigInt64LE(at))),
  Float32: fixed(4, (b, at) => b.readFloatLE(at)),
  Float64: fixed(8, (b, at) => b.readDoubleLE(at)),
  Date: fixed(2, (b, at) => b.readUInt16LE(at)),
  Date32: fixed(4, (b, at) => b.readInt32LE(at)),
  DateTime: fixed(4, (b, at) => b.readUInt32LE(at)),
  UUID: fixed(16, (b, at) => b.toString('hex', at, at + 16)),
};

/** Splits `a, b(c, d), 'e, f'` at its top-level commas. */
function splitArgs(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === "'") quoted = false;
    } else if (c === "'") quoted = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(from, i).trim());
      from = i + 1;
    }
  }
  out.push(text.slice(from).trim());
  return out.filter((a) => a !== '');
}

const cache = new Map<string, Codec>();

/** The codec of a ClickHouse type, for example `Array(Tuple(a String, b Nullable(Float64)))`. */
function codecOf(type: string): Codec {
  const t = type.trim();
  let c = cache.get(t);
  if (c === undefined) {
    c = build(t);
    cache.set(t, c);
  }
  return c;
}

/** A type's name and its arguments (`Tuple(a String, b UInt8)` → Tuple, [a String, b UInt8]; a tuple element's name stays on). */
export function splitType(type: string): { name: string; args: string[] } {
  const t = type.trim();
  const m = /^(\w+)\((.*)\)$/s.exec(t);
  return m === null ? { name: t, args: [] } : { name: m[1] as string, args: splitArgs(m[2] as string) };
}

function build(t: string): Codec {
  const simple = SIMPLE[t];
  if (simple !== undefined) return simple;
  const { name, args } = splitType(t);
  if (args.length === 0) throw new Error(`RowBinary: unsupported type ${t}`);
  switch (name) {
    case 'LowCardinality':
      return codecOf(args[0] as string);
    case 'FixedString': {
      const n = Number(args[0]);
      return fixed(n, (b, at) => b.toString('utf8', at, at + n));
    }
    case 'DateTime':
      return SIMPLE.DateTime as Codec;
    case 'DateTime64':
      return fixed(8, (b, at) => b.readBigInt64LE(at));
    case 'Nullable': {
      const of = codecOf(args[0] as string);
      return {
        read(r) {
          r.need(1);
          return r.buf[r.pos++] === 0 ? of.read(r) : null;
        },
        skip(r) {
          r.need(1);
          if (r.buf[r.pos++] === 0) of.skip(r);
        },
      };
    }
    case 'Array': {
      const of = codecOf(args[0] as string);
      return {
        read(r) {
          const n = r.varint();
          const out: unknown[] = [];
          for (let i = 0; i < n; i++) out.push(of.read(r));
          return out;
        },
        skip(r) {
          const n = r.varint();
          for (let i = 0; i < n; i++) of.skip(r);
        },
      };
    }
    case 'Map': {
      const k = codecOf(args[0] as string);
      const v = codecOf(args[1] as string);
      return {
        read(r) {
          const n = r.varint();
          const out: Record<string, unknown> = {};
          for (let i = 0; i < n; i++) out[String(k.read(r))] = v.read(r);
          return out;
        },
        skip(r) {
          const n = r.varint();
          for (let i = 0; i < n; i++) {
            k.skip(r);
            v.skip(r);
          }
        },
      };
    }
    case 'Tuple': {
      const items = args.map((a) => codecOf(elementType(a)));
      return {
        read: (r) => items.map((i) => i.read(r)),
        skip(r) {
          for (const i of items) i.skip(r);
        },
      };
    }
    default:
      throw new Error(`RowBinary: unsupported type ${t}`);
  }
}

/** A tuple element's type: `name Type` or `Type`. */
export function elementType(arg: string): string {
  const named = /^[A-Za-z_]\w*\s+(\S.*)$/s.exec(arg);
  return named === null ? arg : (named[1] as string);
}

/** Columns from DDL column definitions, one per line (`name Type`, a trailing comma allowed). */
export function parseColumns(definitions: string): Column[] {
  return definitions
    .split('\n')
    .map((l) => l.trim().replace(/,$/, ''))
    .filter((l) => l !== '')
    .map((l) => {
      const at = l.indexOf(' ');
      return { name: l.slice(0, at), type: l.slice(at + 1).trim() };
    });
}

function rowCodec(columns: readonly Column[]): Codec {
  return codecOf(`Tuple(${columns.map((c) => c.type).join(', ')})`);
}

/** Every row of a RowBinary body, each as its values in column order. Throws on a truncated body. */
export function readRowBinary(columns: readonly Column[], body: Buffer): unknown[][] {
  const codec = rowCodec(columns);
  const r = new Cursor(body);
  const rows: unknown[][] = [];
  while (r.pos < body.length) rows.push(codec.read(r) as unknown[]);
  return rows;
}

/** How many rows a RowBinary body holds, without building their values. Throws on a truncated body. */
export function countRowBinaryRows(columns: readonly Column[], body: Buffer): number {
  const codec = rowCodec(columns);
  const r = new Cursor(body);
  let rows = 0;
  while (r.pos < body.length) {
    codec.skip(r);
    rows++;
  }
  return rows;
}
