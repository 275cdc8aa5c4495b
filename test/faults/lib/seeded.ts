/*
 * A seeded generator (mulberry32), so a failing run can be replayed from its printed seed.
 * Shared by the fault tests and, through the build (dist/test/faults/lib/seeded.js), by
 * the fixture processes they start.
 */

/** A generator of floats in [0, 1) (`next`) and integers in [0, n) (`int`) from `seed`. */
export function seeded(seed: number): { next(): number; int(n: number): number } {
  let s = seed >>> 0 || 1;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n) };
}
