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

// The fast forms below give exactly the strings above; they format the date and time of a second
// once and reuse it while rows fall in the same second (rows of a batch are close in time).
let msSecond = Number.NaN;
let msPrefix = '';

/** formatDateTime64ms, with the `YYYY-MM-DD hh:mm:ss.` of the last second cached. */
export function fastDateTime64ms(epochMs: number): string {
  if (typeof epochMs !== 'number') return formatDateTime64ms(epochMs);
  const t = Math.trunc(epochMs); // a Date's time value drops the fraction toward zero
  const sec = Math.floor(t / 1000);
  if (sec !== msSecond) {
    const iso = new Date(sec * 1000).toISOString(); // throws for an invalid time, like the original
    if (iso.length !== 24) return formatDateTime64ms(epochMs); // years outside 0000–9999
    msPrefix = `${iso.slice(0, 10)} ${iso.slice(11, 20)}`;
    msSecond = sec;
  }
  const ms = t - sec * 1000;
  return msPrefix + (ms < 10 ? `00${ms}` : ms < 100 ? `0${ms}` : `${ms}`);
}

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
