import { DomainException } from 'src/common/exceptions/domain.exception';
import { ErrorCode } from 'src/common/exceptions/error-code';

/** `X-Hub-Signature-256` missing or not the HMAC of the body with the app secret: 401, nothing stored. */
export class InvalidWebhookSignatureException extends DomainException {
  constructor(detail: string) {
    super(ErrorCode.UNAUTHENTICATED, detail);
  }
}

/** The verification handshake's mode or token does not match: 403. */
export class WebhookVerificationFailedException extends DomainException {
  constructor() {
    super(ErrorCode.FORBIDDEN, 'Webhook verification failed: hub.mode or hub.verify_token does not match');
  }
}

/** The handshake lacks its challenge. */
export class MissingWebhookChallengeException extends DomainException {
  constructor() {
    super(ErrorCode.VALIDATION_FAILED, 'Invalid request: hub.challenge', {
      errors: [
        { field: 'hub.challenge', message: 'hub.challenge must be a non-empty string of at most 256 characters' },
      ],
    });
  }
}

/** A verified delivery could not be stored (the database failed): 503, so that Meta delivers it again. */
export class WebhookNotStoredException extends DomainException {
  constructor() {
    super(ErrorCode.SERVICE_UNAVAILABLE, 'The delivery could not be stored right now; it will be accepted on retry');
  }
}
