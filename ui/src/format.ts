// Number formatting for people, the one place that does it: memory (GPU and host) and model
// sizes in GiB (2^30 bytes, the unit NVML, vLLM's logs and the fit use), so one quantity never
// shows in two units; sizes and transfer rates for progress bars, percentages, watts, clocks,
// temperatures, times. Pure functions, no DOM.

export const DASH = '—';

const GB = 1e9;
const GIB = 1024 ** 3;

/** "80.0 GiB": GPU and host memory, model and disk sizes. */
export function gib(bytes: number): string {
  return `${(bytes / GIB).toFixed(1)} GiB`;
}

/** The unit a size reads best in: kB below a megabyte, MB below a gigabyte, else GB. */
function unitFor(bytes: number): [number, string] {
  if (bytes >= GB) return [GB, 'GB'];
  if (bytes >= 1e6) return [1e6, 'MB'];
  return [1e3, 'kB'];
}

function scaled(bytes: number, divisor: number): string {
  const value = bytes / divisor;
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

/** A size in the unit that suits it: "512 kB", "48.3 MB", "4.9 GB". */
export function size(bytes: number): string {
  const [divisor, unit] = unitFor(bytes);
  return `${scaled(bytes, divisor)} ${unit}`;
}

/** Bytes done of a total, in the total's unit: "1.2 / 4.9 GB"; without a total "1.2 GB". */
export function sizeOf(done: number, total: number | null): string {
  if (total === null || !(total > 0)) return size(done);
  const [divisor, unit] = unitFor(total);
  return `${scaled(done, divisor)} / ${scaled(total, divisor)} ${unit}`;
}

/** A transfer rate in megabytes a second: "85.3 MB/s". */
export function speed(bytesPerSecond: number): string {
  return `${(bytesPerSecond / 1e6).toFixed(1)} MB/s`;
}

/** "80.0 GiB (85,899,345,920 bytes)", for tooltips. */
export function bytesTitle(bytes: number): string {
  return `${gib(bytes)} (${Math.round(bytes).toLocaleString('en-US')} bytes)`;
}

/** vLLM's concurrency, "1.64×": requests of the full context the KV cache holds at once. */
export function times(value: number): string {
  return `${value.toFixed(2)}×`;
}

export function percent(value: number): string {
  return `${Math.round(value)} %`;
}

export function watts(value: number): string {
  return `${value >= 100 || Number.isInteger(value) ? value.toFixed(0) : value.toFixed(1)} W`;
}

/** A latency in milliseconds, to the digits that matter: "0.31 ms", "4.2 ms", "412 ms", "2.41 s". */
export function latency(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 1) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
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

/** A span of time, coarsely: "7 s", "3 min 5 s", "2 h 10 min", "4 days". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 10) return s % 60 === 0 ? `${min} min` : `${min} min ${s % 60} s`;
  if (min < 60) return `${min} min`;
  const hours = Math.floor(min / 60);
  if (hours < 24) return min % 60 === 0 ? `${hours} h` : `${hours} h ${min % 60} min`;
  const days = Math.floor(hours / 24);
  return days === 1 ? '1 day' : `${days} days`;
}

/** How long ago, coarsely: "just now", "12 s ago", "3 min ago"; never in the future. */
export function ago(ms: number): string {
  if (ms < 2000) return 'just now';
  return `${duration(ms)} ago`;
}

/** Date and time for a tooltip, "2025-03-14 14:03:27". */
export function dateTime(timestampMs: number): string {
  const d = new Date(timestampMs);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock(timestampMs)}`;
}

/** The calendar day of a time, "2025-03-14". */
export function day(timestampMs: number): string {
  return dateTime(timestampMs).slice(0, 10);
}

/** `text` with its first letter in upper case, unless its first word is a name with capitals of its own (vLLM, NVML). */
export function capitalized(text: string): string {
  const first = /^\S+/.exec(text)?.[0] ?? '';
  return first === first.toLowerCase() ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

/**
 * `text` as a sentence: its first letter in upper case and a full stop at the end ("the
 * weights are missing" → "The weights are missing.").
 */
export function sentence(text: string): string {
  const body = capitalized(text.trim());
  if (body === '') return '';
  return /[.!?]$/.test(body) ? body : `${body}.`;
}
