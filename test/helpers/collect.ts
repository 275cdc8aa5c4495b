import type { Event } from "../../gen/claude_comms/v1/message_pb.js";

/** Reads a watch stream into an array, recording how it ended. */
export async function collect(
  stream: AsyncIterable<{ event?: Event }>,
  onEvent?: (event: Event) => void,
): Promise<{ events: Event[]; error?: unknown }> {
  const events: Event[] = [];
  try {
    for await (const res of stream) {
      if (!res.event) continue;
      events.push(res.event);
      onEvent?.(res.event);
    }
    return { events };
  } catch (error) {
    return { events, error };
  }
}

/** Resolves once `predicate` holds, polling every 10 ms; rejects after `timeoutMs`. */
export async function until(predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
