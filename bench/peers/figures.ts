import type { Figure } from "../lib/figure.js";
import { fmt } from "../lib/report.js";
import type { System } from "./servers.js";

/** One measured quantity for each system (NaN where a system was not measured). */
export type PerSystem = Record<System, number>;

/** How claude-comms must compare with etcd for the figure's target to be met. */
export interface Goal {
  /** Target number of BENCHMARKS.md (0: informational, neither met nor missed). */
  target: number;
  /** "higher" is better (throughput) or "lower" (latency, CPU, memory). */
  better: "higher" | "lower";
  /** claude-comms must be at least `factor` times as good as etcd (1 = as good). */
  factor: number;
  goal: string;
  /** An absolute bound claude-comms must meet as well, in the figure's unit. */
  bound?: number;
}

/**
 * A peer figure: claude-comms' value against etcd's as the baseline (Redis in the detail),
 * with the ratio expressed so that above 1 is better for claude-comms.
 */
export function versus(name: string, unit: string, values: PerSystem, goal: Goal, detail: Record<string, unknown> = {}): Figure {
  const ours = values["claude-comms"];
  const etcd = values.etcd;
  const ratio = goal.better === "higher" ? ours / etcd : etcd / ours;
  const boundMet = goal.bound === undefined || (goal.better === "higher" ? ours >= goal.bound : ours <= goal.bound);
  return {
    target: goal.target,
    name,
    value: ours,
    unit,
    baseline: etcd,
    baselineName: "etcd, same run",
    ratio,
    ratioMeaning: goal.better === "higher" ? "value / baseline" : "baseline / value",
    bound: goal.bound,
    goal: goal.goal,
    met: ratio >= goal.factor && boundMet,
    detail: { peers: values, ...detail },
  };
}

/** The peer figures as the Markdown table of BENCHMARKS.md: claude-comms | etcd | Redis | ratio. */
export function renderPeerMarkdown(figures: readonly Figure[]): string {
  const lines = [
    "| # | figure | claude-comms | etcd 3.4 | Redis 7 | claude-comms vs etcd | target | met |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const f of figures) {
    const peers = f.detail?.peers as PerSystem | undefined;
    if (!peers) continue;
    const cell = (s: System) => `${fmt(peers[s])} ${f.unit}`;
    const ratio = f.ratio === undefined ? "-" : `${fmt(f.ratio)}× ${f.ratioMeaning === "value / baseline" ? "as much" : "better"}`;
    const met = f.target ? (f.met ? "yes" : "**no**") : "";
    lines.push(`| ${f.target || ""} | ${f.name} | ${cell("claude-comms")} | ${cell("etcd")} | ${cell("redis")} | ${ratio} | ${f.goal} | ${met} |`);
  }
  return lines.join("\n");
}
