import fs from "node:fs";
import os from "node:os";
import Table from "cli-table3";
import type { Figure } from "./figure.js";

/** The machine a run happened on. */
export interface Machine {
  nproc: number;
  cpu: string;
  node: string;
  loadAverage: number[];
}

/** Facts about this machine, from os and /proc/cpuinfo. */
export function machine(): Machine {
  let cpu = os.cpus()[0]?.model ?? "unknown";
  try {
    cpu = /^model name\s*:\s*(.*)$/m.exec(fs.readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpu;
  } catch {
    // not Linux: keep os.cpus()
  }
  return { nproc: os.availableParallelism(), cpu, node: process.version, loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100) };
}

/** A value with a sensible number of digits. */
export function fmt(x: number | undefined): string {
  if (x === undefined || Number.isNaN(x)) return "-";
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString("en-US");
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

function ratioCell(f: Figure): string {
  if (f.ratio === undefined) return "-";
  return f.ratioMeaning?.startsWith("baseline") ? `${fmt(f.ratio)}× faster` : `${(f.ratio * 100).toFixed(1)}%`;
}

/** The results as a terminal table. */
export function renderTable(figures: readonly Figure[]): string {
  const table = new Table({ head: ["#", "figure", "value", "baseline (same run)", "ratio", "target", "met"],
    style: { head: [], border: [] },
  });
  for (const f of figures) {
    table.push([
      f.target || "",
      f.name,
      `${fmt(f.value)} ${f.unit}`,
      f.baseline === undefined ? "-" : `${fmt(f.baseline)} ${f.unit}`,
      ratioCell(f),
      f.goal,
      f.target ? (f.met ? "yes" : "NO") : "",
    ]);
  }
  return table.toString();
}

/** The results as a Markdown table (for BENCHMARKS.md). */
export function renderMarkdown(figures: readonly Figure[]): string {
  const lines = ["| # | figure | value | baseline (same run) | ratio | target | met |", "|---|---|---|---|---|---|---|"];
  for (const f of figures) {
    const baseline = f.baseline === undefined ? "-" : `${fmt(f.baseline)} ${f.unit}`;
    const met = f.target ? (f.met ? "yes" : "**no**") : "";
    lines.push(`| ${f.target || ""} | ${f.name} | ${fmt(f.value)} ${f.unit} | ${baseline} | ${ratioCell(f)} | ${f.goal} | ${met} |`);
  }
  return lines.join("\n");
}
