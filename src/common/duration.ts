/**
 * Parses a duration: a number of seconds ("1.5"), or a number with a unit ("500ms", "30s",
 * "15m", "1h", "7d"). Returns milliseconds, or throws an Error that says what is accepted.
 */
export function parseDurationMs(text: string, what = "duration"): number {
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!match) {
    throw new Error(`invalid ${what} "${text}": use seconds (1.5) or a number with ms, s, m, h or d (500ms, 30s, 1h)`);
  }
  const value = Number(match[1]);
  const unit = match[2] ?? "s";
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit] ?? 1000;
  return Math.round(value * factor);
}

/** Formats milliseconds for people: "850ms", "12.5s", "3m20s", "2h5m", "3d4h". */
export function formatDurationMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${Number(s.toFixed(1))}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${Math.round(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${m % 60}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}
