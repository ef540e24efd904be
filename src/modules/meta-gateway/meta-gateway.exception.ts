/** Classes of Graph API failures; callers `switch` on these, never on Meta's message text. */
export enum MetaGatewayErrorCode {
  /**
   * 1, 2, 131000, 131016, 131057, 133004, `is_transient`, 5xx, network errors, timeouts, unreadable bodies: retry
   * later. For a send, only when nothing can have happened at Meta (see OUTCOME_UNKNOWN).
   */
  TRANSIENT = 'TRANSIENT',
  /**
   * A send whose POST may have reached Meta but whose answer did not come back usable (timeout, connection
   * reset, unreadable 2xx, error page without a Graph error): the message may have gone out. Never retry it.
   */
  OUTCOME_UNKNOWN = 'OUTCOME_UNKNOWN',
  /** 4, 17, 32, 613, 800xx (80007, 80008…), 130429, 131048, 131056, 131064, 133016: back off. */
  RATE_LIMITED = 'RATE_LIMITED',
  /** 190 (any subcode), 0, 101, 102, 104: the token (or app credential) is expired or invalid; re-authorization needed. */
  AUTH_INVALID = 'AUTH_INVALID',
  /** 3, 10, 200–299: permission not granted or removed. */
  PERMISSION_DENIED = 'PERMISSION_DENIED',
  /** 368, 130497, 131031, 131042 (payment setup): the WABA is restricted, locked or cannot send. */
  ACCOUNT_RESTRICTED = 'ACCOUNT_RESTRICTED',
  /** 100 with subcode 33, 33, 803, or HTTP 404 without an envelope: the object does not exist or cannot be seen. */
  NOT_FOUND = 'NOT_FOUND',
  /** 100, 131008, 131009 and other parameter/template errors: our request was wrong; not retried. */
  INVALID_REQUEST = 'INVALID_REQUEST',
  /** Anything else, including an answer larger than META_MAX_RESPONSE_BYTES (`responseTooLarge`): report, do not retry. */
  UNKNOWN = 'UNKNOWN',
}

/** The only error MetaGateway throws. */
export class MetaGatewayException extends Error {
  constructor(
    readonly code: MetaGatewayErrorCode,
    message: string,
    readonly details: {
      httpStatus?: number | null;
      metaCode?: number | null;
      metaSubcode?: number | null;
      fbtraceId?: string | null;
      /** Seconds to wait before calling again, when Meta said so. */
      retryAfterSeconds?: number | null;
      /** Meta's `error_data.details`, safe to show (never contains tokens). */
      metaDetails?: string | null;
      /** The answer was refused unread because it exceeded the size cap (META_MAX_RESPONSE_BYTES). */
      responseTooLarge?: boolean;
    } = {},
  ) {
    super(message);
    this.name = 'MetaGatewayException';
  }

  get metaCode(): number | null {
    return this.details.metaCode ?? null;
  }

  get httpStatus(): number | null {
    return this.details.httpStatus ?? null;
  }

  get metaSubcode(): number | null {
    return this.details.metaSubcode ?? null;
  }

  get fbtraceId(): string | null {
    return this.details.fbtraceId ?? null;
  }

  get retryAfterSeconds(): number | null {
    return this.details.retryAfterSeconds ?? null;
  }

  get metaDetails(): string | null {
    return this.details.metaDetails ?? null;
  }
}
