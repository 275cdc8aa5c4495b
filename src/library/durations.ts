import { durationFromMs, type Duration } from "@bufbuild/protobuf/wkt";

/**
 * A protobuf `Duration` of this many seconds (fractions allowed), for request fields such as
 * `addMessage({ messageId, timeout: durationFromSeconds(60) })`.
 */
export function durationFromSeconds(seconds: number): Duration {
  if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError(`a duration needs a number of seconds ≥ 0, not ${seconds}`);
  return durationFromMs(Math.round(seconds * 1000));
}
