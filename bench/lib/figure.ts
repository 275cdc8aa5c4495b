/** One reported figure: a measured value against its target, with the baseline of the same run. */
export interface Figure {
  /** Target number in the issue (1–10), or 0 for an informational figure. */
  target: number;
  /** Stable name, for example `poller_tick_idle_100k`. */
  name: string;
  /** The measured value, in `unit`. */
  value: number;
  unit: string;
  /** The baseline measured in the same run (same unit), when the target is relative. */
  baseline?: number;
  baselineName?: string;
  /** value / baseline (or baseline / value for "speedup" figures, see `ratioMeaning`). */
  ratio?: number;
  ratioMeaning?: string;
  /** The absolute bound, when the target is one. */
  bound?: number;
  /** The target as written in the issue. */
  goal: string;
  met: boolean;
  /** Anything else worth keeping (percentiles, sizes, per-round values). */
  detail?: Record<string, unknown>;
}

/** A figure that must stay at or below an absolute bound. */
export function atMost(
  target: number,
  name: string,
  value: number,
  unit: string,
  bound: number,
  goal: string,
  extra: Partial<Figure> = {},
): Figure {
  return { target, name, value, unit, bound, goal, met: value <= bound, ...extra };
}

/** A figure that must reach at least `minRatio` of its same-run baseline (higher is better). */
export function atLeastRatio(
  target: number,
  name: string,
  value: number,
  unit: string,
  baseline: number,
  baselineName: string,
  minRatio: number,
  goal: string,
  detail?: Record<string, unknown>,
): Figure {
  const ratio = value / baseline;
  return {
    target,
    name,
    value,
    unit,
    baseline,
    baselineName,
    ratio,
    ratioMeaning: "value / baseline",
    bound: minRatio,
    goal,
    met: ratio >= minRatio,
    detail,
  };
}

/** An informational figure (no target of its own). */
export function info(name: string, value: number, unit: string, detail?: Record<string, unknown>): Figure {
  return { target: 0, name, value, unit, goal: "info", met: true, detail };
}
