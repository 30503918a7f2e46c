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
