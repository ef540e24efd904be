import type { JsonObject } from 'src/meta-simulator/meta-simulator.types';

/** Parameters of a Graph error (graph-api-reference.md §1.4). */
export interface GraphApiErrorInit {
  code: number;
  message: string;
  httpStatus: number;
  subcode?: number;
  type?: string;
  /** `error_data.details`; present for WhatsApp-specific errors only. */
  details?: string;
  isTransient?: boolean;
  /** Extra response headers (WWW-Authenticate, X-Business-Use-Case-Usage…). */
  headers?: Record<string, string>;
}

const WHATSAPP_ACCOUNT_LOCKED_DETAILS =
  'The WhatsApp Business Account associated with the app has been restricted or disabled for violating a platform policy, or we were unable to verify data included in the request against data set on the WhatsApp Business Account (e.g, the two-step pin included in the request is incorrect).';

/**
 * A Graph API failure, thrown by the simulator's handlers and rendered as Meta's error envelope. Static
 * factories carry the codes, texts and HTTP statuses of §1.5 and the fixtures under errors/ and derived/.
 */
export class GraphApiError extends Error {
  readonly code: number;
  readonly httpStatus: number;
  readonly subcode?: number;
  readonly type: string;
  readonly details?: string;
  readonly isTransient?: boolean;
  readonly headers: Record<string, string>;

  constructor(init: GraphApiErrorInit) {
    super(init.message);
    this.name = 'GraphApiError';
    this.code = init.code;
    this.httpStatus = init.httpStatus;
    this.subcode = init.subcode;
    this.type = init.type ?? 'OAuthException';
    this.details = init.details;
    this.isTransient = init.isTransient;
    this.headers = init.headers ?? {};
  }

  /** The `{"error": {...}}` body, keys in the order Meta prints them. */
  toBody(fbtraceId: string): JsonObject {
    const error: JsonObject = { message: this.message, type: this.type };
    if (this.isTransient !== undefined) {
      error.is_transient = this.isTransient;
    }
    error.code = this.code;
    if (this.details !== undefined) {
      error.error_data = { messaging_product: 'whatsapp', details: this.details };
    }
    if (this.subcode !== undefined) {
      error.error_subcode = this.subcode;
    }
    error.fbtrace_id = fbtraceId;
    return { error };
  }

  /** A WhatsApp error: `(#code) title` plus `error_data.details` (§1.4). */
  static whatsapp(code: number, title: string, details: string, httpStatus = 400, subcode?: number): GraphApiError {
    return new GraphApiError({ code, message: `(#${code}) ${title}`, details, httpStatus, subcode });
  }

  /** Unknown object or no permission to see it: code 100, subcode 33 (§3.5). */
  static unsupportedRequest(method: string, id: string): GraphApiError {
    const verb = method.toLowerCase() === 'get' ? 'get' : method.toLowerCase() === 'delete' ? 'delete' : 'post';
    return new GraphApiError({
      code: 100,
      subcode: 33,
      httpStatus: 400,
      type: 'GraphMethodException',
      message: `Unsupported ${verb} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
    });
  }

  /** Code 100 with a plain parameter message. */
  static invalidParameter(message: string, details?: string): GraphApiError {
    return new GraphApiError({ code: 100, message, httpStatus: 400, details });
  }

  /** Unknown field in `fields=` (§1.8). */
  static nonexistingField(field: string, nodeType: string): GraphApiError {
    return GraphApiError.invalidParameter(
      `(#100) Tried accessing nonexisting field (${field}) on node type (${nodeType})`,
    );
  }

  /** No token at all. */
  static tokenRequired(): GraphApiError {
    return new GraphApiError({
      code: 104,
      httpStatus: 400,
      message: 'An access token is required to request this resource.',
    });
  }

  /** A token the simulator never issued. */
  static unparsableToken(): GraphApiError {
    return GraphApiError.tokenError('Invalid OAuth access token - Cannot parse access token', undefined);
  }

  /** 190/463 (§1.5, derived/error.190_463_expired_token.json). */
  static expiredToken(expiredAt: Date, now: Date): GraphApiError {
    return GraphApiError.tokenError(
      `Error validating access token: Session has expired on ${formatFacebookDate(expiredAt)}. The current time is ${formatFacebookDate(now)}.`,
      463,
    );
  }

  /** 190/467 (derived/error.190_467_invalid_token.json). */
  static invalidatedToken(): GraphApiError {
    return GraphApiError.tokenError(
      'Error validating access token: The session is invalid because the user logged out.',
      467,
    );
  }

  /** Code 190 with HTTP 401 and the `WWW-Authenticate` header (§1.5). */
  static tokenError(message: string, subcode: number | undefined): GraphApiError {
    return new GraphApiError({
      code: 190,
      subcode,
      message,
      httpStatus: 401,
      headers: { 'WWW-Authenticate': `OAuth "Facebook Platform" "invalid_token" "${message.replace(/"/g, "'")}"` },
    });
  }

  /** 80008: business-use-case limit (derived/error.80008_buc_whatsapp_business_management.json). */
  static bucThrottled(headers: Record<string, string>): GraphApiError {
    return new GraphApiError({
      code: 80008,
      httpStatus: 400,
      message:
        '(#80008) There have been too many calls to this WhatsApp Business account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.',
      headers,
    });
  }

  /** 80007: WABA rate limit (derived/error.80007_waba_rate_limit.json). */
  static wabaThrottled(): GraphApiError {
    return GraphApiError.whatsapp(
      80007,
      'The WhatsApp Business Account has reached its rate limit.',
      'The WhatsApp Business Account has reached its rate limit.',
    );
  }

  /** Code 4: app-level limit (derived/error.4_app_rate_limit.json). */
  static appThrottled(headers: Record<string, string>): GraphApiError {
    return new GraphApiError({
      code: 4,
      httpStatus: 400,
      isTransient: true,
      message: '(#4) Application request limit reached',
      headers,
    });
  }

  /** 368: WABA disabled for a policy violation (derived/error.368_waba_restricted.json). */
  static wabaRestricted(): GraphApiError {
    return GraphApiError.whatsapp(
      368,
      'The action attempted has been deemed abusive or is otherwise disallowed',
      'The WhatsApp Business Account associated with the app has been restricted or disabled for violating a platform policy.',
      403,
    );
  }

  /** 131031: account locked / data mismatch (derived/error.131031_account_locked.json). */
  static accountLocked(): GraphApiError {
    return GraphApiError.whatsapp(131031, 'Business Account locked', WHATSAPP_ACCOUNT_LOCKED_DETAILS, 403);
  }
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Graph's "Tuesday, 07-May-24 10:00:00 PDT" date style, in UTC. */
function formatFacebookDate(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    `${WEEKDAYS[date.getUTCDay()]}, ${pad(date.getUTCDate())}-${MONTHS[date.getUTCMonth()]}-` +
    `${pad(date.getUTCFullYear() % 100)} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:` +
    `${pad(date.getUTCSeconds())} UTC`
  );
}
