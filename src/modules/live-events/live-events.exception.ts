import { DomainException } from 'src/common/exceptions/domain.exception';
import { ErrorCode } from 'src/common/exceptions/error-code';

/** 429: the organization has as many event streams open on this instance as it may. */
export class TooManyStreamsException extends DomainException {
  constructor(limit: number) {
    super(
      ErrorCode.RATE_LIMITED,
      `The organization already has ${limit} open event streams, the most it may have; close one (e.g. another browser tab) before opening another`,
      { retryAfterSeconds: 15 },
    );
  }
}

/** 503: the event stream cannot be opened now (the instance is stopping, or the relay between instances is away). */
export class StreamsUnavailableException extends DomainException {
  constructor(reason: string) {
    super(ErrorCode.SERVICE_UNAVAILABLE, `Live events are unavailable: ${reason}; try again shortly`, {
      retryAfterSeconds: 2,
    });
  }
}
