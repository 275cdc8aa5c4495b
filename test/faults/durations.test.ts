// Invalid google.protobuf.Duration values (README "Reliability", row 15): every request field that takes a
// Duration answers INVALID_ARGUMENT and changes nothing; the daemon keeps answering.
// Prints one line of figures.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClients, type TestClients } from "../helpers/clients.js";
import { startDaemonProcess, type DaemonProcess } from "../helpers/daemon-process.js";
import { moduleClient } from "../helpers/module-clients.js";
import { makeTempHome } from "../helpers/temp-home.js";
import { codeName, count, figures } from "./lib/kit.js";

// Each is invalid by protobuf's definition of Duration, though most compute to a plausible value.
const BAD: Array<{ seconds: bigint; nanos: number }> = [
  { seconds: 5n, nanos: -5 },
  { seconds: 0n, nanos: 2_000_000_000 },
  { seconds: -5n, nanos: 5 },
  { seconds: 0n, nanos: -1_000_000_000 },
  { seconds: 315_576_000_001n, nanos: 0 },
  { seconds: -315_576_000_001n, nanos: 0 },
  { seconds: 9_223_372_036_854_775_807n, nanos: 999_999_999 },
];

describe("invalid durations", () => {
  const temp = makeTempHome("ccf-dur-");
  let daemon: DaemonProcess;
  let c: TestClients;

  beforeAll(async () => {
    daemon = await startDaemonProcess(temp.home, ["--interval", "0.05"]);
    c = connectClients(daemon.socket);
  });

  afterAll(async () => {
    await daemon?.stop();
    temp.cleanup();
  });

  it("answers INVALID_ARGUMENT on AddMessage, WaitMessage and AskModule, changing nothing", async () => {
    const modules = moduleClient(c);
    await c.messages.createMessage({ threadId: "d", messageId: "d1" });
    await modules.registerModule({ module: { name: "target", directory: temp.home } });
    const before = await c.polling.listMessages({ all: true, pageSize: 1000 });
    const codes: Record<string, number> = {};
    const messages: string[] = [];
    const calls = (timeout: { seconds: bigint; nanos: number }): Array<() => Promise<unknown>> => [
      () => c.polling.addMessage({ messageId: "d1", timeout }),
      () => c.polling.waitMessage({ messageId: "d1", timeout }),
      () => modules.askModule({ fromModule: "me", toModule: "target", question: "q?", timeout }),
    ];
    for (const timeout of BAD) {
      for (const call of calls(timeout)) {
        try {
          await call();
          count(codes, "OK");
        } catch (err) {
          count(codes, codeName(err));
          messages.push((err as Error).message);
        }
      }
    }
    const after = await c.polling.listMessages({ all: true, pageSize: 1000 });
    const shown = await c.polling.showMessage({ messageId: "d1" });
    figures("durations", { cases: BAD.length * 3, codes, changed: after.messages.length - before.messages.length, monitored: Boolean(shown.message?.monitor) });
    expect(codes).toEqual({ InvalidArgument: BAD.length * 3 });
    expect(messages[0]).toContain("timeout {seconds: 5, nanos: -5} is not a valid duration: seconds and nanos must have the same sign");
    expect(after.messages.length).toBe(before.messages.length);
    expect(shown.message?.monitor).toBeUndefined();
    // Still answering, and a valid duration still works.
    await c.polling.addMessage({ messageId: "d1", timeout: { seconds: 5n, nanos: 5 } });
    expect((await c.polling.showMessage({ messageId: "d1" })).message?.monitor?.deadlineTime).toBeDefined();
  });
});
