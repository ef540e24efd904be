/**
 * The public error-code catalogue (api-contract.md §5): the `code` of every problem response, in one
 * place with its HTTP status. Module exceptions pick their codes from here.
 */
export enum ErrorCode {
  /** 400: body, query or path failed validation; `errors[]` names each field. */
  VALIDATION_FAILED = 'VALIDATION_FAILED',
  /** 400: the body is not UTF-8 JSON, nests deeper than 32 levels, or is not what its Content-Encoding says. */
  MALFORMED_REQUEST = 'MALFORMED_REQUEST',
  /** 401: missing, malformed, unknown or revoked key; bad webhook signature. */
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  /** 403: the webhook verification token does not match. */
  FORBIDDEN = 'FORBIDDEN',
  /** 404: no such resource in the caller's organization (or no such route). */
  NOT_FOUND = 'NOT_FOUND',
  /** 405: the route exists but not with this method. */
  METHOD_NOT_ALLOWED = 'METHOD_NOT_ALLOWED',
  /** 409: the WABA or number belongs to another organization. */
  ALREADY_CONNECTED_TO_ANOTHER_ORGANIZATION = 'ALREADY_CONNECTED_TO_ANOTHER_ORGANIZATION',
  /** 409: switch to MM_LITE while the WABA is not onboarded. */
  MM_LITE_NOT_ONBOARDED = 'MM_LITE_NOT_ONBOARDED',
  /** 409: switch to MM_LITE, or send, while the WABA is disabled. */
  WABA_DISABLED = 'WABA_DISABLED',
  /** 409: a call needs Meta but the stored token was rejected; run Embedded Signup again. */
  REAUTH_REQUIRED = 'REAUTH_REQUIRED',
  /** 409: the operation conflicts with the resource's current state. */
  CONFLICT = 'CONFLICT',
  /** 409: the organization already has the most active API keys it may have; revoke one first. */
  API_KEY_LIMIT_REACHED = 'API_KEY_LIMIT_REACHED',
  /** 413: the body is larger than the configured limit. */
  PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE',
  /** 415: the body is not `application/json` in UTF-8, or its Content-Encoding is not one of identity, gzip, deflate, br. */
  UNSUPPORTED_MEDIA_TYPE = 'UNSUPPORTED_MEDIA_TYPE',
  /** 422: Meta refused the Embedded Signup code (used, expired, invalid). */
  SIGNUP_CODE_REJECTED = 'SIGNUP_CODE_REJECTED',
  /** 422: the token was not granted the posted WABA. */
  WABA_NOT_GRANTED = 'WABA_NOT_GRANTED',
  /** 422: the number does not belong to the posted WABA. */
  PHONE_NUMBER_NOT_IN_WABA = 'PHONE_NUMBER_NOT_IN_WABA',
  /** 422: the destination is in a region where marketing messages are blocked. */
  MARKETING_REGION_RESTRICTED = 'MARKETING_REGION_RESTRICTED',
  /** 422: Meta refused the request for a reason the caller can fix (the detail says what to do). */
  META_REQUEST_REJECTED = 'META_REQUEST_REJECTED',
  /** 422: Meta's per-user marketing limit (131049): do not send this user marketing again for 24 hours. */
  MARKETING_PER_USER_LIMIT = 'MARKETING_PER_USER_LIMIT',
  /** 422: the recipient opted out of this business's marketing messages (131050); do not retry. */
  RECIPIENT_OPTED_OUT = 'RECIPIENT_OPTED_OUT',
  /**
   * 422: Meta limited marketing to this recipient (a 131049 failure) less than 24 h ago; `Retry-After` says
   * when a send may go again. Refused before Meta.
   */
  RECIPIENT_PAUSED = 'RECIPIENT_PAUSED',
  /** 422: MM Lite sends marketing templates only (134100); send utility/authentication ones via Cloud API. */
  TEMPLATE_NOT_MARKETING = 'TEMPLATE_NOT_MARKETING',
  /**
   * 422: the stored templates say the send cannot succeed (missing in that language, not APPROVED, or not
   * MARKETING; the detail says which); Meta was not called.
   */
  TEMPLATE_NOT_SENDABLE = 'TEMPLATE_NOT_SENDABLE',
  /**
   * 422: this message cannot go to a business-scoped user ID (131062: a template with a max price, or a
   * one-tap/zero-tap/copy-code authentication template); send to the phone number or use another template.
   */
  RECIPIENT_TYPE_NOT_SUPPORTED = 'RECIPIENT_TYPE_NOT_SUPPORTED',
  /**
   * 409: the template has a max price (`optimization_spec`), which Cloud API refuses (131061); send it through
   * MM Lite or use a template without one.
   */
  TEMPLATE_REQUIRES_MM_LITE = 'TEMPLATE_REQUIRES_MM_LITE',
  /** 409: marketing templates are disabled on Cloud API for the WABA (131063); send through MM Lite. */
  MARKETING_DISABLED_ON_CLOUD_API = 'MARKETING_DISABLED_ON_CLOUD_API',
  /** 409: the template is still syncing to MM Lite (134101); `Retry-After` says when to try again. */
  TEMPLATE_NOT_YET_SYNCED = 'TEMPLATE_NOT_YET_SYNCED',
  /**
   * 409: Meta refused the send because the WABA is restricted or locked (368, 131031), or its messaging limit
   * is enforced for template-category violations (131064).
   */
  WABA_RESTRICTED = 'WABA_RESTRICTED',
  /** 429: the public API's own rate limit (requests per organization, failed authentications per address); `Retry-After` set. */
  RATE_LIMITED = 'RATE_LIMITED',
  /** 503: Meta throttled the call; `Retry-After` set. */
  META_RATE_LIMITED = 'META_RATE_LIMITED',
  /**
   * 502: Meta could not be reached, timed out, answered 5xx or answered something unreadable, before anything
   * could have happened there (for a send: connection refused, DNS failure, or a Graph error saying it failed).
   */
  META_UNAVAILABLE = 'META_UNAVAILABLE',
  /**
   * 504: a send's POST left but its answer did not come back usable (timeout, reset, unreadable answer): the
   * message may have gone. Do not resend it.
   */
  SEND_OUTCOME_UNKNOWN = 'SEND_OUTCOME_UNKNOWN',
  /** 503: a dependency of the service (its database) is not reachable right now. */
  SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE',
  /** 500: an unexpected error; details are in the logs under the request ID. */
  INTERNAL_ERROR = 'INTERNAL_ERROR',
}

/** HTTP status of each code. */
export const ERROR_CODE_STATUS: Record<ErrorCode, number> = {
  [ErrorCode.VALIDATION_FAILED]: 400,
  [ErrorCode.MALFORMED_REQUEST]: 400,
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.METHOD_NOT_ALLOWED]: 405,
  [ErrorCode.ALREADY_CONNECTED_TO_ANOTHER_ORGANIZATION]: 409,
  [ErrorCode.MM_LITE_NOT_ONBOARDED]: 409,
  [ErrorCode.WABA_DISABLED]: 409,
  [ErrorCode.REAUTH_REQUIRED]: 409,
  [ErrorCode.CONFLICT]: 409,
  [ErrorCode.API_KEY_LIMIT_REACHED]: 409,
  [ErrorCode.PAYLOAD_TOO_LARGE]: 413,
  [ErrorCode.UNSUPPORTED_MEDIA_TYPE]: 415,
  [ErrorCode.SIGNUP_CODE_REJECTED]: 422,
  [ErrorCode.WABA_NOT_GRANTED]: 422,
  [ErrorCode.PHONE_NUMBER_NOT_IN_WABA]: 422,
  [ErrorCode.MARKETING_REGION_RESTRICTED]: 422,
  [ErrorCode.META_REQUEST_REJECTED]: 422,
  [ErrorCode.MARKETING_PER_USER_LIMIT]: 422,
  [ErrorCode.RECIPIENT_OPTED_OUT]: 422,
  [ErrorCode.RECIPIENT_PAUSED]: 422,
  [ErrorCode.TEMPLATE_NOT_MARKETING]: 422,
  [ErrorCode.TEMPLATE_NOT_SENDABLE]: 422,
  [ErrorCode.RECIPIENT_TYPE_NOT_SUPPORTED]: 422,
  [ErrorCode.TEMPLATE_REQUIRES_MM_LITE]: 409,
  [ErrorCode.MARKETING_DISABLED_ON_CLOUD_API]: 409,
  [ErrorCode.TEMPLATE_NOT_YET_SYNCED]: 409,
  [ErrorCode.WABA_RESTRICTED]: 409,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.META_RATE_LIMITED]: 503,
  [ErrorCode.META_UNAVAILABLE]: 502,
  [ErrorCode.SEND_OUTCOME_UNKNOWN]: 504,
  [ErrorCode.SERVICE_UNAVAILABLE]: 503,
  [ErrorCode.INTERNAL_ERROR]: 500,
};

/** Short human title of each code (the problem document's `title`). */
export const ERROR_CODE_TITLE: Record<ErrorCode, string> = {
  [ErrorCode.VALIDATION_FAILED]: 'Validation failed',
  [ErrorCode.MALFORMED_REQUEST]: 'Malformed request',
  [ErrorCode.UNAUTHENTICATED]: 'Unauthenticated',
  [ErrorCode.FORBIDDEN]: 'Forbidden',
  [ErrorCode.NOT_FOUND]: 'Not found',
  [ErrorCode.METHOD_NOT_ALLOWED]: 'Method not allowed',
  [ErrorCode.ALREADY_CONNECTED_TO_ANOTHER_ORGANIZATION]: 'Already connected to another organization',
  [ErrorCode.MM_LITE_NOT_ONBOARDED]: 'MM Lite not onboarded',
  [ErrorCode.WABA_DISABLED]: 'WABA disabled',
  [ErrorCode.REAUTH_REQUIRED]: 'Re-authorization required',
  [ErrorCode.CONFLICT]: 'Conflict',
  [ErrorCode.API_KEY_LIMIT_REACHED]: 'API key limit reached',
  [ErrorCode.PAYLOAD_TOO_LARGE]: 'Payload too large',
  [ErrorCode.UNSUPPORTED_MEDIA_TYPE]: 'Unsupported media type',
  [ErrorCode.SIGNUP_CODE_REJECTED]: 'Embedded Signup code rejected',
  [ErrorCode.WABA_NOT_GRANTED]: 'WABA not granted',
  [ErrorCode.PHONE_NUMBER_NOT_IN_WABA]: 'Phone number not in WABA',
  [ErrorCode.MARKETING_REGION_RESTRICTED]: 'Marketing region restricted',
  [ErrorCode.META_REQUEST_REJECTED]: 'Meta rejected the request',
  [ErrorCode.MARKETING_PER_USER_LIMIT]: 'Marketing limit for this user reached',
  [ErrorCode.RECIPIENT_OPTED_OUT]: 'Recipient opted out of marketing',
  [ErrorCode.RECIPIENT_PAUSED]: 'Marketing to this recipient paused',
  [ErrorCode.TEMPLATE_NOT_MARKETING]: 'Not a marketing template',
  [ErrorCode.TEMPLATE_NOT_SENDABLE]: 'Template not sendable',
  [ErrorCode.RECIPIENT_TYPE_NOT_SUPPORTED]: 'Recipient type not supported',
  [ErrorCode.TEMPLATE_REQUIRES_MM_LITE]: 'Template requires MM Lite',
  [ErrorCode.MARKETING_DISABLED_ON_CLOUD_API]: 'Marketing disabled on Cloud API',
  [ErrorCode.TEMPLATE_NOT_YET_SYNCED]: 'Template not yet synced',
  [ErrorCode.WABA_RESTRICTED]: 'WABA restricted',
  [ErrorCode.RATE_LIMITED]: 'Too many requests',
  [ErrorCode.META_RATE_LIMITED]: 'Meta rate limit reached',
  [ErrorCode.META_UNAVAILABLE]: 'Meta unavailable',
  [ErrorCode.SEND_OUTCOME_UNKNOWN]: 'Send outcome unknown',
  [ErrorCode.SERVICE_UNAVAILABLE]: 'Service unavailable',
  [ErrorCode.INTERNAL_ERROR]: 'Internal server error',
};
