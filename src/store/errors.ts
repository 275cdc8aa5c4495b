import {
  AlreadyExistsError,
  DomainError,
  FailedPreconditionError,
  InvalidInputError,
  StoreBusyError,
  StoreFullError,
  StoreIoError,
  StoreReadOnlyError,
  StoreUnreachableError,
} from "../common/errors.js";

// The domain error classes live in common/errors.ts (the hub and the poller throw them too);
// re-exported here so store code and the modules other engineers own keep one import.
export * from "../common/errors.js";

interface SqliteLikeError {
  code?: unknown;
  message?: unknown;
}

/**
 * Turns a driver error into a domain error when it is one we understand (busy, full,
 * read-only, duplicate key, trigger refusal); returns undefined otherwise.
 */
export function domainErrorFromDriver(err: unknown): DomainError | undefined {
  if (err instanceof DomainError) return err;
  const { code, message } = (err ?? {}) as SqliteLikeError;
  const text = typeof message === "string" ? message : "";
  if (/Migration table is already locked/.test(text)) {
    return new StoreBusyError("another daemon is migrating the store; retry shortly", { cause: err });
  }
  if (typeof code !== "string") return undefined;
  if (!code.startsWith("SQLITE")) return postgresError(code, text, err);
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
    return new StoreBusyError("the store is locked by another writer; retry shortly", { cause: err });
  }
  if (code === "SQLITE_FULL") {
    return new StoreFullError("the store is full (disk or size limit); free space and retry", { cause: err });
  }
  if (code.startsWith("SQLITE_READONLY")) {
    return new StoreReadOnlyError("the store is read-only; writes are refused until it is writable", { cause: err });
  }
  if (code.startsWith("SQLITE_IOERR")) {
    return new StoreIoError("the store's disk failed an I/O operation (read-only or failing file system); retry once it is repaired", { cause: err });
  }
  if (code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE") {
    return new AlreadyExistsError("the id already exists", { cause: err });
  }
  if (code === "SQLITE_CONSTRAINT_TRIGGER") {
    const reason = /claude-comms: ([^\n]*)/.exec(text)?.[1] ?? "refused by the store";
    return new FailedPreconditionError(reason, { cause: err });
  }
  return undefined;
}

// PostgreSQL SQLSTATE codes (and node's socket errors for an unreachable server).
function postgresError(code: string, text: string, err: unknown): DomainError | undefined {
  if (code === "40001" || code === "40P01" || code === "55P03") {
    return new StoreBusyError("the store is busy with a conflicting write; retry shortly", { cause: err });
  }
  if (["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "57P01", "57P03", "08006", "08001", "08003"].includes(code)) {
    return new StoreUnreachableError("the database server cannot be reached; retry shortly", { cause: err });
  }
  if (code === "53100") return new StoreFullError("the database server's disk is full; free space and retry", { cause: err });
  if (code === "25006") return new StoreReadOnlyError("the database is read-only; writes are refused until it is writable", { cause: err });
  if (code === "23505") return new AlreadyExistsError("the id already exists", { cause: err });
  if (code === "22021") return new InvalidInputError("content_offset is not on a character boundary", { cause: err });
  if (code === "P0001") {
    const reason = /claude-comms: ([^\n]*)/.exec(text)?.[1] ?? "refused by the store";
    return new FailedPreconditionError(reason, { cause: err });
  }
  return undefined;
}

/** True when retrying the same write later may succeed. */
export function isRetryable(err: unknown): boolean {
  return domainErrorFromDriver(err) instanceof StoreBusyError;
}
