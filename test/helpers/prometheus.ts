/** One sample line of the Prometheus text format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A metric family: its TYPE, HELP and samples. */
export interface Family {
  type: string;
  help: string;
  samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;
const SUFFIXES = ["_bucket", "_sum", "_count", "_total", ""];

/**
 * Parses the Prometheus text exposition format (0.0.4) strictly: every line is a HELP, a
 * TYPE or a sample of a family declared before it, with well-formed labels and a number.
 * Throws naming the first bad line.
 */
export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const lines = text.split("\n");
  if (lines.pop() !== "") throw new Error("the exposition does not end with a newline");
  lines.forEach((line, i) => {
    const fail = (why: string) => new Error(`line ${i + 1} ${why}: ${line}`);
    if (line === "") return;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      const family = families.get(meta[2]!) ?? { type: "untyped", help: "", samples: [] };
      if (meta[1] === "TYPE") {
        if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(meta[3]!)) throw fail("has an unknown type");
        family.type = meta[3]!;
      } else family.help = meta[3]!;
      families.set(meta[2]!, family);
      return;
    }
    if (line.startsWith("#")) return;
    const match = SAMPLE.exec(line);
    if (!match) throw fail("is not a sample");
    const value = Number(match[3] === "+Inf" ? Infinity : match[3] === "-Inf" ? -Infinity : match[3]);
    if (Number.isNaN(value) && match[3] !== "NaN") throw fail("has no number");
    const name = match[1]!;
    const family = SUFFIXES.map((s) => (name.endsWith(s) ? families.get(name.slice(0, name.length - s.length)) : undefined)).find(Boolean);
    if (!family) throw fail("belongs to no declared family");
    family.samples.push({ name, labels: parseLabels(match[2] ?? "", fail), value });
  });
  return families;
}

function parseLabels(text: string, fail: (why: string) => Error): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  let consumed = 0;
  for (let m = LABEL.exec(text); m; m = LABEL.exec(text)) {
    labels[m[1]!] = m[2]!.replace(/\\n/g, "\n").replace(/\\(.)/g, "$1");
    consumed = LABEL.lastIndex;
  }
  if (consumed !== text.length) throw fail("has malformed labels");
  return labels;
}
