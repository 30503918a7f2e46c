/** `YYYY-MM-DD hh:mm:ss.mmm` in UTC: what DateTime64(3, 'UTC') parses in any input format mode. */
export function formatDateTime64ms(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('T', ' ').replace('Z', '');
}

/** `YYYY-MM-DD hh:mm:ss.nnnnnnnnn` in UTC from an OTel HrTime `[seconds, nanos]`, for DateTime64(9). */
export function formatDateTime64ns(time: readonly [number, number]): string {
  const [sec, nanos] = time;
  const base = new Date(sec * 1000).toISOString().slice(0, 19).replace('T', ' ');
  return `${base}.${String(nanos).padStart(9, '0')}`;
}

// The fast form below gives exactly the string above; it formats the date and time of a second
// once and reuses it while rows fall in the same second (rows of a batch are close in time).
// time-bytes.ts writes both forms straight into row bytes.
let nsSecond = Number.NaN;
let nsPrefix = '';

/** formatDateTime64ns, with the `YYYY-MM-DD hh:mm:ss` of the last second cached. */
export function fastDateTime64ns(time: readonly [number, number]): string {
  const sec = time[0];
  const nanos = time[1];
  if (typeof sec !== 'number' || !Number.isInteger(sec)) return formatDateTime64ns(time);
  if (sec !== nsSecond) {
    const iso = new Date(sec * 1000).toISOString();
    if (iso.length !== 24) return formatDateTime64ns(time);
    nsPrefix = `${iso.slice(0, 10)} ${iso.slice(11, 19)}.`;
    nsSecond = sec;
  }
  return nsPrefix + String(nanos).padStart(9, '0');
}
