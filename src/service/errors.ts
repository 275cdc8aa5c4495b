import { Code, ConnectError } from "@connectrpc/connect";
import { SubscriptionEndedError } from "../hub/subscription.js";
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidInputError,
  NotFoundError,
  OutOfRangeError,
  ResourceLimitError,
  StoreBusyError,
  StoreFullError,
  StoreIoError,
  StoreReadOnlyError,
} from "../common/errors.js";
import { domainErrorFromDriver } from "../store/errors.js";
import { PermissionDeniedError, TlsRequiredError, UnauthenticatedError } from "./peer.js";

const CODES: Array<[new (...args: never[]) => Error, Code]> = [
  [NotFoundError, Code.NotFound],
  [AlreadyExistsError, Code.AlreadyExists],
  [InvalidInputError, Code.InvalidArgument],
  [FailedPreconditionError, Code.FailedPrecondition],
  [StoreBusyError, Code.Unavailable],
  [StoreFullError, Code.ResourceExhausted],
  [StoreReadOnlyError, Code.FailedPrecondition],
  [StoreIoError, Code.Unavailable],
  [ResourceLimitError, Code.ResourceExhausted],
  [UnauthenticatedError, Code.Unauthenticated],
  [PermissionDeniedError, Code.PermissionDenied],
  [TlsRequiredError, Code.FailedPrecondition],
];

/**
 * The one function that decides the code a client sees. Domain errors keep their
 * (client-safe) message; anything unknown becomes INTERNAL "internal error", so SQL text and
 * paths never reach a client (the interceptor logs the original).
 */
export function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  if (err instanceof SubscriptionEndedError) {
    const code = err.reason === "overflow" ? Code.ResourceExhausted : Code.Unavailable;
    return new ConnectError(err.message, code, { "x-last-seq": String(err.lastSeq) });
  }
  if (err instanceof OutOfRangeError) {
    return new ConnectError(err.message, Code.OutOfRange, { "x-oldest-seq": String(err.oldestSeq) });
  }
  const domain = domainErrorFromDriver(err) ?? err;
  for (const [type, code] of CODES) {
    if (domain instanceof type) return new ConnectError((domain as Error).message, code);
  }
  return new ConnectError("internal error", Code.Internal);
}
