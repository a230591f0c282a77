// Errors the CLI reports and the exit code each one means.

/** Bad flags or configuration: exit 2. */
export class UsageError extends Error {
  exitCode = 2;
}

/** A 4xx from the server (or a failed slice): its error shape, exit 1. */
export class ServerError extends Error {
  exitCode = 1;
  /** @param {number} status @param {{ code?: string, message?: string, details?: unknown } | undefined} error */
  constructor(status, error) {
    super(`${status} ${error?.code ?? 'error'}: ${error?.message ?? 'no message'}`);
    this.status = status;
    this.error = error;
  }
}

/** A network error or 5xx that may pass when tried again. */
export class RetryableError extends Error {
  /** @param {string} message @param {number} [status] */
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}
