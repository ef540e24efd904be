import { ErrorCode } from './error-code';

/** One invalid field of a request. */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * Base of every exception a service throws. Carries a catalogue code; the global filter turns it into an
 * RFC 9457 problem document. Services never throw HttpException.
 */
export class DomainException extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extras: { errors?: FieldError[]; retryAfterSeconds?: number; meta?: Record<string, unknown> } = {},
  ) {
    super(detail);
    this.name = new.target.name;
  }
}

/** The resource does not exist in the caller's organization. */
export class NotFoundDomainException extends DomainException {
  constructor(resource: string, id: string) {
    super(ErrorCode.NOT_FOUND, `${resource} ${id} was not found`);
  }
}
