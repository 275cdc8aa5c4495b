/** How a benchmark runs. */
export interface BenchOptions {
  /** Full sizes and durations (`--full`); quick mode otherwise. */
  full: boolean;
  /** Progress output (stderr), one line at a time. */
  log(line: string): void;
}

/** `quick` in quick mode, `full` with --full. */
export function size<T>(options: BenchOptions, quick: T, full: T): T {
  return options.full ? full : quick;
}
