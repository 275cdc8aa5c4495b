/**
 * The domain errors of the daemon, thrown by the store, the hub and the poller alike. They
 * carry a client-safe message (no SQL, no paths); `service/errors.ts` is the one place that
 * maps each class to a gRPC code. This module imports nothing, so every layer may use it.
 */

/** The base of every domain error. */
export class DomainError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The id names nothing the store has. */
export class NotFoundError extends DomainError {}

/** The id is taken. */
export class AlreadyExistsError extends DomainError {}

/** The input is malformed (empty, too long, unknown enum, …). */
export class InvalidInputError extends DomainError {}

/** The operation is not allowed in the current state (for example leaving a terminal status). */
export class FailedPreconditionError extends DomainError {}

/** The store is locked by another writer past the busy timeout, or shutting down: retry. */
export class StoreBusyError extends DomainError {}

/** The database server cannot be reached (PostgreSQL): retry. */
export class StoreUnreachableError extends StoreBusyError {}

/** The disk is full or the database reached its size limit. */
export class StoreFullError extends DomainError {}

/** The store cannot be written (read-only file or query-only connection). */
export class StoreReadOnlyError extends DomainError {}

/**
 * The disk failed a read or write (SQLITE_IOERR_*): a failing disk, or a file system the
 * kernel turned read-only under the open file (ext4 errors=remount-ro), which SQLite reports
 * as an I/O error, not as read-only.
 */
export class StoreIoError extends DomainError {}

/** Too many of something (watchers, queued events). */
export class ResourceLimitError extends DomainError {}

/** An append would take a message's content past the daemon's content limit; nothing was written. */
export class ContentTooLargeError extends ResourceLimitError {
  constructor(message: string, readonly limitBytes: number) {
    super(message);
  }
}

/** The requested history has been compacted away. */
export class OutOfRangeError extends DomainError {
  constructor(message: string, readonly oldestSeq: number) {
    super(message);
  }
}
