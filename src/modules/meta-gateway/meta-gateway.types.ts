/**
 * Our camelCase view of Meta's objects. Enum values stay exactly as Meta spells them (strings), because
 * Meta adds values without notice and the API passes them through.
 */

/** Result of exchanging an Embedded Signup code (`GET /oauth/access_token`). */
export interface ExchangedToken {
  accessToken: string;
  /** Seconds, when Meta sends `expires_in`. */
  expiresInSeconds: number | null;
}

/** Result of `GET /debug_token`. */
export interface TokenInspection {
  isValid: boolean;
  appId: string | null;
  /** `expires_at` as a Date; null when 0 (never) or absent. */
  expiresAt: Date | null;
  scopes: string[];
  /** WABA IDs granted under `whatsapp_business_management`, newest first as Meta lists them. */
  grantedWabaIds: string[];
  /** Error reported by Meta for an invalid token (`data.error`). */
  error: { code: number | null; subcode: number | null; message: string } | null;
}

/** `health_status` of a WABA or phone number. */
export interface HealthStatus {
  canSendMessage: string | null;
  entities: Array<{
    entityType: string;
    id: string | null;
    canSendMessage: string | null;
    errors: Array<{ errorCode: number | null; errorDescription: string | null; possibleSolution: string | null }>;
  }>;
}

/** Business-portfolio MM Lite terms status (`marketing_messages_onboarding_status` on the business). */
export interface MmLiteTermsStatus {
  /** `TERM_OF_SERVICE_SIGNED` | `REQUEST_SENT` | `NOT_STARTED` (as Meta spells it). */
  status: string;
  time: string | null;
}

/**
 * A WABA as read from `GET /{waba-id}` (fields of graph-api-reference.md §3.1).
 *
 * Fields other than `id` are `undefined` when Meta's answer did not carry them: a 200 may leave fields out
 * (Graph omits a field it has no value for, and a partial answer omits more), and an absent field says
 * nothing about its value, so whoever applies a reading keeps what is stored. `null` means Meta sent the
 * field empty (JSON `null` or `""`); no field read here has a documented meaning for that, so appliers keep
 * the stored value for it too. A field of the wrong type is unreadable and mapped as absent.
 */
export interface WabaSnapshot {
  id: string;
  name?: string | null;
  /** Meta's `status` field (only `ACTIVE` documented). */
  status?: string | null;
  currency?: string | null;
  timezoneId?: string | null;
  country?: string | null;
  accountReviewStatus?: string | null;
  businessVerificationStatus?: string | null;
  ownershipType?: string | null;
  ownerBusinessId?: string | null;
  ownerBusinessName?: string | null;
  /** `marketing_messages_onboarding_status` (ELIGIBLE, ONBOARDED, PENDING_*, INELIGIBLE_*). */
  marketingMessagesOnboardingStatus?: string | null;
  /** Terms status carried inside `owner_business_info`, when Meta includes it. */
  ownerBusinessTermsStatus?: MmLiteTermsStatus | null;
  healthStatus?: HealthStatus | null;
}

/**
 * A phone number as read from `GET /{phone-number-id}` or the WABA's `phone_numbers` edge; absent fields
 * are `undefined` and empty ones `null`, as in {@link WabaSnapshot}.
 */
export interface PhoneNumberSnapshot {
  id: string;
  displayPhoneNumber?: string | null;
  verifiedName?: string | null;
  qualityRating?: string | null;
  status?: string | null;
  nameStatus?: string | null;
  codeVerificationStatus?: string | null;
  platformType?: string | null;
  throughputLevel?: string | null;
  messagingLimitTier?: string | null;
  healthStatus?: HealthStatus | null;
}

/** One app subscribed to a WABA's webhooks (`GET /{waba}/subscribed_apps`, graph-api-2026.md §A.8). */
export interface SubscribedApp {
  /** `whatsapp_business_api_data.id`: the Meta app ID. */
  appId: string;
  name: string | null;
  /** Where Meta delivers the WABA's webhooks instead of the app's callback; null without an override. */
  overrideCallbackUri: string | null;
}

/** Template reference of a send. */
export interface TemplateMessage {
  name: string;
  language: string;
  components?: unknown[];
}

/**
 * Who a send goes to (graph-api-2026 §A.6): a phone number in E.164 with `+` (sent as `to`), or a
 * business-scoped user ID (BSUID, or parent BSUID) sent as `recipient`, exactly as Meta issued it. Never
 * both: Meta lets `to` win when both are given, so a BSUID send would silently become a phone send.
 */
export type MessageRecipient = { phone: string; bsuid?: never } | { bsuid: string; phone?: never };

/** Accepted send (`messages[0].id`). */
export interface SentMessage {
  messageId: string;
}

/** Parsed `X-Business-Use-Case-Usage` entry. */
export interface BusinessUseCaseUsage {
  businessObjectId: string;
  type: string;
  callCount: number;
  totalCputime: number;
  totalTime: number;
  estimatedTimeToRegainAccessMinutes: number;
}

/** Parsed `X-App-Usage`. */
export interface AppUsage {
  callCount: number;
  totalCputime: number;
  totalTime: number;
}

/** Outcome of a multi-ID read: per-ID results, and the IDs whose chunk failed with the error. */
export interface MultiReadResult<T> {
  found: Map<string, T>;
  failed: Map<string, Error>;
  /** Number of Graph calls made. */
  calls: number;
}

/**
 * A message template as read from `GET /{waba-id}/message_templates` (graph-api-2026.md §A.1). Enum values
 * stay as Meta spells them; fields Meta did not send are null.
 */
export interface TemplateSnapshot {
  /** Meta's template ID (a digit string; ids can exceed 2^53, so never a number). */
  id: string;
  name: string;
  /** Meta's language code as the API spells it (`en_US`); null when the answer left it out. */
  language: string | null;
  /** `APPROVED`, `PENDING`, `REJECTED`, `PAUSED`, `DISABLED`, … */
  status: string | null;
  /** `MARKETING`, `UTILITY`, `AUTHENTICATION`. */
  category: string | null;
  /** The category before Meta's last change; null when it never changed. */
  previousCategory: string | null;
  /** The category Meta has moved or will move the template to; null when unaffected. */
  correctCategory: string | null;
  /** `rejected_reason` (`NONE` when not rejected). */
  rejectedReason: string | null;
  /** `quality_score.score`: `GREEN`, `YELLOW`, `RED`, `UNKNOWN`. */
  quality: string | null;
}

/** The templates of several WABAs read together (a sync round's multi-ID read). */
export interface TemplatesReadResult {
  /** Each WABA's complete list of templates. */
  found: Map<string, TemplateSnapshot[]>;
  /** The WABAs whose templates could not be read, with why. */
  failed: Map<string, Error>;
  /** Graph calls made (HTTP requests of the multi-ID reads and of the per-WABA follow-ups). */
  calls: number;
}
