import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RepeatLimiter } from "../src/daemon/log-limiter.js";
import { openLogger } from "../src/daemon/logger.js";
import { makeTempHome } from "./helpers/temp-home.js";

describe("RepeatLimiter", () => {
  it("admits the first of identical lines per window and sums up the rest once the window ends", () => {
    let now = 0;
    const summaries: string[] = [];
    const limiter = new RepeatLimiter((level, msg, n) => summaries.push(`${level} ${msg} ${n}`), 60_000, () => now);
    const admitted = Array.from({ length: 1000 }, () => limiter.admit("error", "request failed", "boom")).filter(Boolean).length;
    expect(limiter.admit("error", "request failed", "other cause")).toBe(true);
    expect(admitted).toBe(1);
    now = 60_000;
    limiter.flush(false);
    expect(summaries).toEqual(["error request failed 999"]);
    expect(limiter.admit("error", "request failed", "boom")).toBe(true);
    limiter.close();
  });
});

describe("logger", () => {
  const temp = makeTempHome();
  afterAll(() => temp.cleanup());

  it("writes 5,000 identical errors as one line and a summary, and every debug line", () => {
    const file = path.join(temp.home, "daemon.log");
    const log = openLogger(file, "debug");
    for (let i = 0; i < 5000; i++) log.error("request failed", { procedure: "ShowMessage", err: new Error("boom") });
    log.debug("client left", { procedure: "WatchMessage" });
    log.close();
    const lines = fs.readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { level: string; msg: string; repeated?: number });
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ["error", "request failed"],
      ["debug", "client left"],
      ["error", "request failed (repeated 4999 more times within 60 s)"],
    ]);
    expect(lines[2]!.repeated).toBe(4999);
  });
});
