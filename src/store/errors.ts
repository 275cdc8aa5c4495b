/**
 * Typed domain errors thrown by the store. They carry a client-safe message (no SQL, no
 * paths); `service/errors.ts` maps each class to a gRPC code.
 */
export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The id names nothing the store has. */
export class NotFoundError extends StoreError {}

/** The id is taken. */
export class AlreadyExistsError extends StoreError {}

/** The input is malformed (empty, too long, unknown enum, …). */
export class InvalidInputError extends StoreError {}

/** The operation is not allowed in the current state (for example leaving a terminal status). */
export class FailedPreconditionError extends StoreError {}

/** The store is locked by another writer past the busy timeout, or shutting down: retry. */
export class StoreBusyError extends StoreError {}

/** The database server cannot be reached (PostgreSQL): retry. */
export class StoreUnreachableError extends StoreBusyError {}

/** The disk is full or the database reached its size limit. */
export class StoreFullError extends StoreError {}

/** The store cannot be written (read-only file or query-only connection). */
export class StoreReadOnlyError extends StoreError {}

/**
 * The disk failed a read or write (SQLITE_IOERR_*): a failing disk, or a file system the
 * kernel turned read-only under the open file (ext4 errors=remount-ro), which SQLite reports
 * as an I/O error, not as read-only.
 */
export class StoreIoError extends StoreError {}

/** Too many of something (watchers, queued events). */
export class ResourceLimitError extends StoreError {}

/** An append would take a message's content past the daemon's content limit; nothing was written. */
export class ContentTooLargeError extends ResourceLimitError {
  constructor(message: string, readonly limitBytes: number) {
    super(message);
  }
}

/** The requested history has been compacted away. */
export class OutOfRangeError extends StoreError {
  constructor(message: string, readonly oldestSeq: number) {
    super(message);
  }
}

interface SqliteLikeError {
  code?: unknown;
  message?: unknown;
}

/**
 * Turns a driver error into a domain error when it is one we understand (busy, full,
 * read-only, duplicate key, trigger refusal); returns undefined otherwise.
 */
export function domainErrorFromDriver(err: unknown): StoreError | undefined {
  if (err instanceof StoreError) return err;
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
function postgresError(code: string, text: string, err: unknown): StoreError | undefined {
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
