/** Sorted copy of `values`, ascending. */
export function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** The q-quantile (0..1) by nearest rank; NaN for no values. */
export function quantile(values: readonly number[], q: number): number {
  if (!values.length) return NaN;
  const s = sorted(values);
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[rank]!;
}

/** The median (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (!values.length) return NaN;
  const s = sorted(values);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Summary of a sample set: count, min, p50, p90, p99, max. */
export interface Summary {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Summarizes samples, rounded to `digits` decimals. */
export function summarize(values: readonly number[], digits = 3): Summary {
  const r = (x: number) => round(x, digits);
  return {
    n: values.length,
    min: r(Math.min(...values)),
    p50: r(median(values)),
    p90: r(quantile(values, 0.9)),
    p99: r(quantile(values, 0.99)),
    max: r(Math.max(...values)),
  };
}

/** Rounds to `digits` decimals. */
export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
