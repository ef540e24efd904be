import type {
  GraphBusinessTermsStatus,
  GraphDebugTokenResponse,
  GraphHealthStatus,
  GraphHealthStatusEntity,
  GraphOAuthAccessToken,
  GraphPhoneNumber,
  GraphWaba,
} from './graph-api.types';
import type {
  ExchangedToken,
  HealthStatus,
  MmLiteTermsStatus,
  PhoneNumberSnapshot,
  TokenInspection,
  WabaSnapshot,
} from './meta-gateway.types';
import { redactText } from './redact';

/*
 * Reading Graph's answers (untrusted, leniently: §9 UNCONFIRMED) into the port's camelCase types. Every
 * mapping here is pure and returns null for an answer it cannot read; the gateway turns that into its
 * "unreadable body" failure, which it logs.
 */

/** `GET /oauth/access_token`'s answer; null without an access token. */
export function toExchangedToken(body: GraphOAuthAccessToken): ExchangedToken | null {
  if (typeof body.access_token !== 'string' || body.access_token === '') {
    return null;
  }
  return { accessToken: body.access_token, expiresInSeconds: toPositiveNumber(body.expires_in) };
}

/**
 * `GET /debug_token`'s answer: `is_valid`, `app_id`, `expires_at` (0 = never → null), `scopes`, and the
 * WABAs of the `whatsapp_business_management` granular scope in Meta's order (newest first). Meta's
 * `data.error` message is redacted of the inspected token. Null without a `data` object.
 */
export function toTokenInspection(body: GraphDebugTokenResponse, inputToken: string): TokenInspection | null {
  const data = body.data;
  if (!isObject(data)) {
    return null;
  }
  const management = Array.isArray(data.granular_scopes)
    ? data.granular_scopes.find((scope) => isObject(scope) && scope.scope === 'whatsapp_business_management')
    : undefined;
  const expiresAt = toPositiveNumber(data.expires_at);
  const error = isObject(data.error) ? data.error : null;
  return {
    isValid: data.is_valid === true,
    appId: toStringOrNull(data.app_id),
    expiresAt: expiresAt === null ? null : new Date(expiresAt * 1000),
    scopes: Array.isArray(data.scopes) ? data.scopes.filter(isString) : [],
    grantedWabaIds: Array.isArray(management?.target_ids) ? management.target_ids.map(String) : [],
    error: error
      ? {
          code: toIntegerOrNull(error.code),
          subcode: toIntegerOrNull(error.subcode),
          message: redactText(typeof error.message === 'string' ? error.message : '', [inputToken]),
        }
      : null,
  };
}

/** A WABA object (§3.1); its id defaults to the one asked for. Null when it is not an object. */
export function toWabaSnapshot(raw: unknown, expectedId: string): WabaSnapshot | null {
  if (!isObject(raw)) {
    return null;
  }
  const waba = raw as GraphWaba;
  // A partial answer must not read as "Meta cleared it": absent fields stay undefined (WabaSnapshot).
  const owner = isObject(waba.owner_business_info) ? waba.owner_business_info : undefined;
  return {
    id: toStringOrNull(waba.id) ?? expectedId,
    name: readField(waba.name),
    status: readField(waba.status),
    currency: readField(waba.currency),
    timezoneId: readField(waba.timezone_id),
    country: readField(waba.country),
    accountReviewStatus: readField(waba.account_review_status),
    businessVerificationStatus: readField(waba.business_verification_status),
    ownershipType: readField(waba.ownership_type),
    ownerBusinessId: readField(owner?.id),
    ownerBusinessName: readField(owner?.name),
    marketingMessagesOnboardingStatus: readField(waba.marketing_messages_onboarding_status),
    ownerBusinessTermsStatus: readTermsField(owner?.marketing_messages_onboarding_status),
    healthStatus: readHealthField(waba.health_status),
  };
}

/**
 * A phone number object (§4.2, §4.3); its id defaults to `expectedId` (null inside a list, where every
 * entry must carry its own). Null when it is not an object or has no id.
 */
export function toPhoneNumberSnapshot(raw: unknown, expectedId: string | null): PhoneNumberSnapshot | null {
  if (!isObject(raw)) {
    return null;
  }
  const phone = raw as GraphPhoneNumber;
  const id = toStringOrNull(phone.id) ?? expectedId;
  if (id === null) {
    return null;
  }
  return {
    id,
    displayPhoneNumber: readField(phone.display_phone_number),
    verifiedName: readField(phone.verified_name),
    qualityRating: readField(phone.quality_rating),
    status: readField(phone.status),
    nameStatus: readField(phone.name_status),
    codeVerificationStatus: readField(phone.code_verification_status),
    platformType: readField(phone.platform_type),
    throughputLevel: isObject(phone.throughput) ? readField(phone.throughput.level) : readField(phone.throughput),
    messagingLimitTier: readField(phone.messaging_limit_tier),
    healthStatus: readHealthField(phone.health_status),
  };
}

/** A business's `marketing_messages_onboarding_status` (§5.2); null when Meta has none. */
export function toTermsStatus(value: GraphBusinessTermsStatus | string | undefined | null): MmLiteTermsStatus | null {
  if (typeof value === 'string' && value !== '') {
    // Not documented as a bare string, but it costs nothing to accept one.
    return { status: value, time: null };
  }
  if (!isObject(value) || typeof value.status !== 'string' || value.status === '') {
    return null;
  }
  return { status: value.status, time: toStringOrNull(value.time) };
}

/**
 * A scalar field of a read (see WabaSnapshot): its text; null when Meta sent it empty (JSON null or "");
 * undefined when the answer does not carry it, or carries something that is not a scalar (unreadable).
 */
function readField(value: unknown): string | null | undefined {
  if (value === null || value === '') {
    return null;
  }
  return toStringOrNull(value) ?? undefined;
}

/** `owner_business_info.marketing_messages_onboarding_status` as a field of a read (see {@link readField}). */
function readTermsField(
  value: GraphBusinessTermsStatus | string | undefined | null,
): MmLiteTermsStatus | null | undefined {
  if (value === null) {
    return null;
  }
  return toTermsStatus(value) ?? undefined;
}

/** `health_status` as a field of a read (see {@link readField}). */
function readHealthField(value: GraphHealthStatus | undefined | null): HealthStatus | null | undefined {
  if (value === null) {
    return null;
  }
  return isObject(value) ? toHealthStatus(value) : undefined;
}

function toHealthStatus(value: GraphHealthStatus | undefined): HealthStatus | null {
  if (!isObject(value)) {
    return null;
  }
  // Loops, not filter and map: a round reads four of these per WABA, and the intermediate lists were garbage.
  const entities: HealthStatus['entities'] = [];
  if (Array.isArray(value.entities)) {
    for (const entity of value.entities) {
      if (isObject(entity)) {
        entities.push({
          entityType: toStringOrNull(entity.entity_type) ?? 'UNKNOWN',
          id: toStringOrNull(entity.id),
          canSendMessage: toStringOrNull(entity.can_send_message),
          errors: toHealthErrors(entity.errors),
        });
      }
    }
  }
  return { canSendMessage: toStringOrNull(value.can_send_message), entities };
}

function toHealthErrors(value: GraphHealthStatusEntity['errors']): HealthStatus['entities'][number]['errors'] {
  const errors: HealthStatus['entities'][number]['errors'] = [];
  if (Array.isArray(value)) {
    for (const error of value) {
      if (isObject(error)) {
        errors.push({
          errorCode: toIntegerOrNull(error.error_code),
          errorDescription: toStringOrNull(error.error_description),
          possibleSolution: toStringOrNull(error.possible_solution),
        });
      }
    }
  }
  return errors;
}

/** A JSON object (not an array, not null): what every Graph answer and nested record must be. */
export function isObject<T>(value: T | null | undefined): value is T & object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

// IDs and enum values are strings in Graph, but numbers (tiers, ids) turn up; keep them as text.
function toStringOrNull(value: unknown): string | null {
  if (typeof value === 'string') {
    return value === '' ? null : value;
  }
  if (typeof value === 'number' && Number.isFinite(value)) {
    return String(value);
  }
  return null;
}

function toIntegerOrNull(value: unknown): number | null {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isInteger(number) ? number : null;
}

function toPositiveNumber(value: unknown): number | null {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) && number > 0 ? number : null;
}
