// Number formatting for people: bytes as GB (10^9) with one decimal and GiB for tooltips,
// percentages, watts, clocks, temperatures, times. Pure functions, no DOM.

export const DASH = '—';

const GB = 1e9;
const GIB = 1024 ** 3;

/** "85.9 GB" */
export function gb(bytes: number): string {
  return `${(bytes / GB).toFixed(1)} GB`;
}

/** "80.0 GiB" */
export function gib(bytes: number): string {
  return `${(bytes / GIB).toFixed(1)} GiB`;
}

/** "85.9 GB (80.0 GiB)", for tooltips. */
export function bytesTitle(bytes: number): string {
  return `${gb(bytes)} = ${gib(bytes)} (${Math.round(bytes).toLocaleString('en-US')} bytes)`;
}

export function percent(value: number): string {
  return `${Math.round(value)} %`;
}

export function watts(value: number): string {
  return `${value >= 100 || Number.isInteger(value) ? value.toFixed(0) : value.toFixed(1)} W`;
}

export function mhz(value: number): string {
  return `${Math.round(value)} MHz`;
}

export function celsius(value: number): string {
  return `${Math.round(value)} °C`;
}

/** Clock time of a sample, "14:03:27". */
export function clock(timestampMs: number): string {
  return new Date(timestampMs).toLocaleTimeString('en-GB', { hour12: false });
}

/** Share of `part` in `whole`, clamped to 0..1; 0 when `whole` is 0. */
export function fraction(part: number, whole: number): number {
  if (!(whole > 0)) return 0;
  return Math.min(1, Math.max(0, part / whole));
}
