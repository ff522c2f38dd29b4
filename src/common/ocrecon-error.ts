/** What went wrong, in terms a caller (CLI exit message, HTTP status) can map exhaustively. */
export enum ErrorCode {
  NotFound = 'NOT_FOUND',
  InvalidInput = 'INVALID_INPUT',
  Conflict = 'CONFLICT',
  Unavailable = 'UNAVAILABLE',
}

/** An error a user can act on: one line saying what was wrong and where. */
export class OcreconError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'OcreconError';
  }
}

export const notFound = (what: string) => new OcreconError(ErrorCode.NotFound, what);
export const invalidInput = (what: string) => new OcreconError(ErrorCode.InvalidInput, what);
