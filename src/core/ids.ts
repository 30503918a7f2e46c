import { randomBytes, randomUUID } from 'node:crypto';

// Random bytes drawn from a pool refilled 4 KiB at a time: one syscall per 256 ids, not one per id.
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let poolOffset = 0;

function random16(): Buffer {
  if (poolOffset + 16 > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  const out = Buffer.allocUnsafe(16);
  pool.copy(out, 0, poolOffset, poolOffset + 16);
  poolOffset += 16;
  return out;
}

/** A call id: UUIDv7 (time-ordered, RFC 9562), so ledger rows sort by arrival. */
export function newCallId(nowMs: number = Date.now()): string {
  const b = random16();
  // 48-bit big-endian milliseconds (exact in a double: 2^48 ms is the year 10889).
  const ms = Math.max(0, Math.floor(nowMs));
  const high = Math.floor(ms / 0x1000000);
  const low = ms % 0x1000000;
  b[0] = (high >>> 16) & 0xff;
  b[1] = (high >>> 8) & 0xff;
  b[2] = high & 0xff;
  b[3] = (low >>> 16) & 0xff;
  b[4] = (low >>> 8) & 0xff;
  b[5] = low & 0xff;
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x70;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function randomId(): string {
  return randomUUID();
}
