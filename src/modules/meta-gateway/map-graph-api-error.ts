import type { GraphApiError, GraphApiErrorData } from './graph-api.types';
import { GraphHttpError, GraphHttpErrorCode } from './graph-http.client';
import { META_MAX_RESPONSE_BYTES, META_TEMPLATE_SYNC_RETRY_AFTER_SECONDS } from './meta-gateway.constants';
import { MetaGatewayErrorCode, MetaGatewayException } from './meta-gateway.exception';
import { redactText } from './redact';
import {
  BUSINESS_USE_CASE_USAGE_HEADER,
  parseBusinessUseCaseUsage,
  parseRetryAfter,
  readFbTraceHeader,
  readHeader,
} from './usage-headers';

/** Graph/WhatsApp codes per class (graph-api-reference.md §1.5, §2.8, §3.5, §4.5, §5.7). Ranges are below. */
const CODE_CLASSES: ReadonlyMap<number, MetaGatewayErrorCode> = new Map<number, MetaGatewayErrorCode>([
  // Token expired/invalid, or no/invalid app credentials.
  [0, MetaGatewayErrorCode.AUTH_INVALID],
  [101, MetaGatewayErrorCode.AUTH_INVALID],
  [102, MetaGatewayErrorCode.AUTH_INVALID],
  [104, MetaGatewayErrorCode.AUTH_INVALID],
  [190, MetaGatewayErrorCode.AUTH_INVALID],
  // Permission (200–299 is a range below).
  [3, MetaGatewayErrorCode.PERMISSION_DENIED],
  [10, MetaGatewayErrorCode.PERMISSION_DENIED],
  // Throttling (80000–80099 business-use-case codes are a range below).
  [4, MetaGatewayErrorCode.RATE_LIMITED],
  [17, MetaGatewayErrorCode.RATE_LIMITED],
  [32, MetaGatewayErrorCode.RATE_LIMITED],
  [613, MetaGatewayErrorCode.RATE_LIMITED],
  [130429, MetaGatewayErrorCode.RATE_LIMITED],
  [131048, MetaGatewayErrorCode.RATE_LIMITED],
  [131056, MetaGatewayErrorCode.RATE_LIMITED],
  [131064, MetaGatewayErrorCode.RATE_LIMITED],
  [133016, MetaGatewayErrorCode.RATE_LIMITED],
  // Meta-side trouble: the same request may succeed later.
  [1, MetaGatewayErrorCode.TRANSIENT],
  [2, MetaGatewayErrorCode.TRANSIENT],
  [131000, MetaGatewayErrorCode.TRANSIENT],
  [131016, MetaGatewayErrorCode.TRANSIENT],
  [131057, MetaGatewayErrorCode.TRANSIENT],
  [133004, MetaGatewayErrorCode.TRANSIENT],
  // Account state: restricted, disabled, locked, or blocked by its payment setup.
  [368, MetaGatewayErrorCode.ACCOUNT_RESTRICTED],
  [130497, MetaGatewayErrorCode.ACCOUNT_RESTRICTED],
  [131031, MetaGatewayErrorCode.ACCOUNT_RESTRICTED],
  [131042, MetaGatewayErrorCode.ACCOUNT_RESTRICTED],
  // The object is gone: 33 = business phone number deleted; 803 = Graph "aliases do not exist".
  [33, MetaGatewayErrorCode.NOT_FOUND],
  [803, MetaGatewayErrorCode.NOT_FOUND],
  // Our request cannot succeed as sent (132xxx, 133005–133015, 134100–134103 are ranges below).
  [100, MetaGatewayErrorCode.INVALID_REQUEST],
  [130472, MetaGatewayErrorCode.INVALID_REQUEST],
  [131008, MetaGatewayErrorCode.INVALID_REQUEST],
  [131009, MetaGatewayErrorCode.INVALID_REQUEST],
  [131021, MetaGatewayErrorCode.INVALID_REQUEST],
  [131026, MetaGatewayErrorCode.INVALID_REQUEST],
  [131037, MetaGatewayErrorCode.INVALID_REQUEST],
  [131045, MetaGatewayErrorCode.INVALID_REQUEST],
  [131047, MetaGatewayErrorCode.INVALID_REQUEST],
  [131049, MetaGatewayErrorCode.INVALID_REQUEST],
  [131050, MetaGatewayErrorCode.INVALID_REQUEST],
  [131051, MetaGatewayErrorCode.INVALID_REQUEST],
  [131052, MetaGatewayErrorCode.INVALID_REQUEST],
  [131053, MetaGatewayErrorCode.INVALID_REQUEST],
  [131055, MetaGatewayErrorCode.INVALID_REQUEST],
  [131061, MetaGatewayErrorCode.INVALID_REQUEST],
  [131062, MetaGatewayErrorCode.INVALID_REQUEST],
  [131063, MetaGatewayErrorCode.INVALID_REQUEST],
  // Direct Send's utility/authentication access is blocked for the business (graph-api-2026 §A.4.5).
  [139200, MetaGatewayErrorCode.PERMISSION_DENIED],
  // A previous deregistration failed; deregistering first is the fix, repeating the call is not.
  [133000, MetaGatewayErrorCode.INVALID_REQUEST],
  [135000, MetaGatewayErrorCode.INVALID_REQUEST],
]);

const SUBCODE_OBJECT_NOT_FOUND = 33;
const CODE_TEMPLATE_SYNCING = 134101;

/**
 * The numeric class of a Graph error code, ignoring HTTP status and `is_transient`; null for codes the
 * reference does not list.
 */
export function classifyGraphErrorCode(code: number, subcode: number | null = null): MetaGatewayErrorCode | null {
  if (code === 100 && subcode === SUBCODE_OBJECT_NOT_FOUND) {
    return MetaGatewayErrorCode.NOT_FOUND;
  }
  const listed = CODE_CLASSES.get(code);
  if (listed) {
    return listed;
  }
  if (code >= 200 && code <= 299) {
    return MetaGatewayErrorCode.PERMISSION_DENIED;
  }
  if (isBusinessUseCaseThrottleCode(code)) {
    return MetaGatewayErrorCode.RATE_LIMITED;
  }
  if ((code >= 132000 && code <= 132999) || (code >= 133005 && code <= 133015) || (code >= 134100 && code <= 134103)) {
    return MetaGatewayErrorCode.INVALID_REQUEST;
  }
  return null;
}

/**
 * Business-use-case throttling codes (80000–80099, §1.5 "Other BUC codes"): they throttle one business
 * object (for WhatsApp, the WABA), so the gateway pauses that object.
 */
export function isBusinessUseCaseThrottleCode(code: number | null | undefined): boolean {
  return typeof code === 'number' && code >= 80000 && code <= 80099;
}

/** Extra facts the caller knows about the failed call. */
export interface GraphApiErrorContext {
  /** The WABA/phone/business the call was about; picks its entry of X-Business-Use-Case-Usage. */
  businessObjectId?: string | null;
  /** Secrets of the call to scrub from the message (tokens, app secret, code). */
  secrets?: ReadonlyArray<string | null | undefined>;
}

/**
 * Maps anything a Graph call can fail with (a GraphHttpError with or without a response, a timeout, a
 * network error, an unreadable body) to a MetaGatewayException. Classification is by Meta's numeric
 * `code` (+ `error_subcode` 33 and `is_transient`), never by message text; HTTP status only decides
 * when there is no readable envelope, or when the code is unlisted and the status is 5xx.
 */
export function mapGraphApiError(error: unknown, context: GraphApiErrorContext = {}): MetaGatewayException {
  if (error instanceof MetaGatewayException) {
    return error;
  }
  if (error instanceof GraphHttpError) {
    if (error.code === GraphHttpErrorCode.RESPONSE_TOO_LARGE) {
      return new MetaGatewayException(
        MetaGatewayErrorCode.UNKNOWN,
        `Graph API answer exceeded ${META_MAX_RESPONSE_BYTES} bytes; refused unread`,
        { httpStatus: error.response?.status ?? null, responseTooLarge: true },
      );
    }
    if (error.response) {
      return mapGraphApiResponse(error.response.status, error.response.headers, error.response.data, context);
    }
    if (isTimeout(error.code, error.message)) {
      return new MetaGatewayException(MetaGatewayErrorCode.TRANSIENT, 'Graph API call timed out', {
        httpStatus: null,
      });
    }
    return new MetaGatewayException(
      MetaGatewayErrorCode.TRANSIENT,
      redactText(`Graph API unreachable: ${error.code ?? error.message}`, context.secrets),
      { httpStatus: null },
    );
  }
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
    return new MetaGatewayException(MetaGatewayErrorCode.TRANSIENT, 'Graph API call timed out', { httpStatus: null });
  }
  const text = error instanceof Error ? error.message : String(error);
  return new MetaGatewayException(
    MetaGatewayErrorCode.UNKNOWN,
    redactText(`Graph API call failed: ${text}`, context.secrets),
  );
}

/**
 * Maps a Graph HTTP answer that is an error (non-2xx) to a MetaGatewayException. Also used by the gateway
 * for 2xx answers whose body is unreadable (pass the status; an unparseable body is TRANSIENT).
 */
export function mapGraphApiResponse(
  status: number,
  headers: unknown,
  body: unknown,
  context: GraphApiErrorContext = {},
): MetaGatewayException {
  const retryAfterHeader = parseRetryAfter(readHeader(headers, 'retry-after'));
  const graphError = readEnvelope(body);
  if (!graphError) {
    return mapWithoutEnvelope(status, headers, retryAfterHeader);
  }

  const metaCode = toInteger(graphError.code) as number;
  const metaSubcode = toInteger(graphError.error_subcode);
  const errorData = readErrorData(graphError.error_data);
  let code = classifyGraphErrorCode(metaCode, metaSubcode);
  if (code === null) {
    code = classifyByStatus(status) ?? MetaGatewayErrorCode.UNKNOWN;
  }
  // Meta flags some failures as transient; throttles stay RATE_LIMITED so callers still back off.
  if (graphError.is_transient === true && code !== MetaGatewayErrorCode.RATE_LIMITED) {
    code = MetaGatewayErrorCode.TRANSIENT;
  }

  const hints = [
    minutesToSeconds(graphError.estimated_time_to_regain_access),
    minutesToSeconds(errorData?.estimated_time_to_regain_access),
    retryAfterHeader,
  ];
  if (code === MetaGatewayErrorCode.RATE_LIMITED) {
    hints.push(usageRetryAfterSeconds(headers, context.businessObjectId ?? null));
  }
  if (metaCode === CODE_TEMPLATE_SYNCING) {
    hints.push(META_TEMPLATE_SYNC_RETRY_AFTER_SECONDS);
  }
  const retryAfterSeconds = maxPositive(hints);

  const metaMessage = typeof graphError.message === 'string' ? graphError.message : `Graph API error #${metaCode}`;
  return new MetaGatewayException(code, redactText(metaMessage, context.secrets), {
    httpStatus: status,
    metaCode,
    metaSubcode,
    fbtraceId: typeof graphError.fbtrace_id === 'string' ? graphError.fbtrace_id : readFbTraceHeader(headers),
    retryAfterSeconds,
    metaDetails: typeof errorData?.details === 'string' ? redactText(errorData.details, context.secrets) : null,
  });
}

/**
 * Errors of a connection that was never made (refused, no route, DNS failure, TLS certificate rejected before
 * the request was written): the request cannot have reached Meta.
 */
const NEVER_SENT_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ERR_INVALID_URL',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * For a request Meta acts on (a send), whether its failure leaves the outcome unknown: true unless Meta
 * answered a Graph error (it says what it refused), answered that the request was not handled at all (404,
 * 429 or a rejected token without an envelope), or the connection was never made. A timeout, a reset, an
 * unreadable answer (2xx included) or a 5xx page without a Graph error can come after Meta acted.
 * `error` is what the call threw (undefined for a 2xx that could not be read); `mapped` its mapping.
 */
export function isOutcomeUnknown(error: unknown, mapped: MetaGatewayException): boolean {
  if (mapped.metaCode !== null) {
    return false;
  }
  if (mapped.code !== MetaGatewayErrorCode.TRANSIENT && mapped.code !== MetaGatewayErrorCode.UNKNOWN) {
    return false;
  }
  if (error instanceof GraphHttpError && !error.response && NEVER_SENT_ERROR_CODES.has(error.code)) {
    return false;
  }
  return true;
}

/** The OUTCOME_UNKNOWN version of a send failure, keeping what is known of the answer. */
export function toOutcomeUnknown(mapped: MetaGatewayException): MetaGatewayException {
  return new MetaGatewayException(
    MetaGatewayErrorCode.OUTCOME_UNKNOWN,
    `${mapped.message}; the request may have been processed by Meta`,
    mapped.details,
  );
}

function mapWithoutEnvelope(status: number, headers: unknown, retryAfterSeconds: number | null): MetaGatewayException {
  const details = { httpStatus: status, fbtraceId: readFbTraceHeader(headers), retryAfterSeconds };
  if (status === 404) {
    return new MetaGatewayException(MetaGatewayErrorCode.NOT_FOUND, 'Graph API answered 404', details);
  }
  if (status === 429) {
    return new MetaGatewayException(MetaGatewayErrorCode.RATE_LIMITED, 'Graph API answered 429', details);
  }
  // Without a body, Graph still says a token is bad through WWW-Authenticate (§1.5).
  const wwwAuthenticate = readHeader(headers, 'www-authenticate');
  if (typeof wwwAuthenticate === 'string' && /invalid_token/i.test(wwwAuthenticate)) {
    return new MetaGatewayException(MetaGatewayErrorCode.AUTH_INVALID, 'Graph API rejected the access token', details);
  }
  // A proxy page, a truncated body or a success status with garbage: nothing says the request was wrong.
  return new MetaGatewayException(
    MetaGatewayErrorCode.TRANSIENT,
    `Graph API answered ${status} with an unreadable body`,
    details,
  );
}

function classifyByStatus(status: number): MetaGatewayErrorCode | null {
  if (status >= 500) {
    return MetaGatewayErrorCode.TRANSIENT;
  }
  if (status === 429) {
    return MetaGatewayErrorCode.RATE_LIMITED;
  }
  if (status === 404) {
    return MetaGatewayErrorCode.NOT_FOUND;
  }
  return null;
}

function readEnvelope(body: unknown): GraphApiError | null {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return null;
    }
  }
  if (typeof parsed !== 'object' || parsed === null || !('error' in parsed)) {
    return null;
  }
  const error = parsed.error;
  if (typeof error !== 'object' || error === null) {
    return null;
  }
  // Without a numeric code there is nothing to classify on; treat it like any unreadable body.
  return toInteger((error as GraphApiError).code) === null ? null : error;
}

function readErrorData(value: unknown): GraphApiErrorData | null {
  if (typeof value === 'string') {
    try {
      const parsed: unknown = JSON.parse(value);
      return typeof parsed === 'object' && parsed !== null ? parsed : null;
    } catch {
      return null;
    }
  }
  return typeof value === 'object' && value !== null ? value : null;
}

function usageRetryAfterSeconds(headers: unknown, businessObjectId: string | null): number | null {
  const usages = parseBusinessUseCaseUsage(readHeader(headers, BUSINESS_USE_CASE_USAGE_HEADER));
  const own = businessObjectId ? usages.filter((usage) => usage.businessObjectId === businessObjectId) : [];
  const relevant = own.length > 0 ? own : usages;
  return maxPositive(relevant.map((usage) => minutesToSeconds(usage.estimatedTimeToRegainAccessMinutes)));
}

function isTimeout(code: string | undefined, message: string): boolean {
  return (
    code === 'ECONNABORTED' ||
    code === 'ETIMEDOUT' ||
    code === 'ERR_CANCELED' ||
    /timeout/i.test(message) ||
    /aborted|canceled/i.test(message)
  );
}

function toInteger(value: unknown): number | null {
  if (typeof value === 'number' && Number.isInteger(value)) {
    return value;
  }
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) {
    return Number(value.trim());
  }
  return null;
}

function minutesToSeconds(value: unknown): number | null {
  const minutes = typeof value === 'string' ? Number(value) : value;
  return typeof minutes === 'number' && Number.isFinite(minutes) && minutes > 0 ? Math.ceil(minutes * 60) : null;
}

function maxPositive(values: Array<number | null>): number | null {
  const positive = values.filter((value): value is number => typeof value === 'number' && value > 0);
  return positive.length > 0 ? Math.max(...positive) : null;
}
