import { sleep } from "./cleanup.js";
import { connectClients } from "./clients.js";

/** Calls GetDaemonStatus until it answers (retrying every 2 ms, at most `timeoutMs`); resolves with performance.now(). */
export async function firstAnswer(socket: string, timeoutMs = 10_000): Promise<number> {
  const { polling } = connectClients(socket);
  const end = performance.now() + timeoutMs;
  for (;;) {
    try {
      await polling.getDaemonStatus({});
      return performance.now();
    } catch (err) {
      if (performance.now() > end) throw err;
      await sleep(2);
    }
  }
}
