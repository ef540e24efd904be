/** The three steps of the guide's "Set up MM Lite" panel, in order. */
export enum MmLiteStepKey {
  ACCEPT_TERMS = 'ACCEPT_TERMS',
  REFRESH_STATUS = 'REFRESH_STATUS',
  SWITCH_NUMBER_CHANNEL = 'SWITCH_NUMBER_CHANNEL',
}

/** Where a step stands: done, up to the user now, or waiting on something else (the detail says what). */
export enum MmLiteStepState {
  DONE = 'DONE',
  TODO = 'TODO',
  BLOCKED = 'BLOCKED',
}

/**
 * WhatsApp Manager in Meta Business Manager, where a portfolio admin accepts the Marketing Messages terms
 * (Overview → Alerts → "Accept terms"); the platform cannot sign on the customer's behalf.
 */
export const META_BUSINESS_MANAGER_MM_LITE_URL = 'https://business.facebook.com/latest/whatsapp_manager/overview';

/** Why Meta says a WABA cannot onboard, in words a user can act on. */
export const INELIGIBILITY_REASONS: Readonly<Record<string, string>> = {
  INELIGIBLE_COUNTRY_NOT_SUPPORTED: "the WABA's country is not supported by MM Lite",
  INELIGIBLE_INACTIVE_OR_RESTRICTED: 'the WABA is inactive or restricted from messaging by Meta',
  INELIGIBLE_ON_BEHALF_OF_WABA:
    'the WABA uses the deprecated On-Behalf-Of ownership model; transfer its ownership to the business first',
  INELIGIBLE_USING_WHATSAPP_BUSINESS_APP: 'a number of the WABA is used in the WhatsApp Business app',
};

/** Meta tells a template is still syncing to MM Lite for up to this long (134101). */
export const TEMPLATE_SYNC_RETRY_AFTER_SECONDS = 600;

/**
 * Fewest digits of a recipient number with its country code: the shortest numbers in service (Niue, Saint
 * Helena, 3-digit code + 4 digits) have 7. The bound the API has applied since its first release.
 */
export const RECIPIENT_MIN_DIGITS = 7;

/** Most digits of a recipient number with its country code (ITU-T E.164). */
export const RECIPIENT_MAX_DIGITS = 15;

/**
 * Longest `to` read at all: 15 digits written with generous separators (`+44 (0) 7700 - 900 - 123`) fit
 * several times over; anything longer is not a phone number and is refused before it is scanned.
 */
export const RECIPIENT_MAX_INPUT_LENGTH = 64;

/** Most letters and digits after the region of a business-scoped user ID (graph-api-2026 §A.6). */
export const BSUID_MAX_ID_LENGTH = 128;

/** Which kind of recipient a marketing send was addressed to. */
export enum RecipientType {
  /** A phone number, sent to Meta as `to`. */
  PHONE_NUMBER = 'PHONE_NUMBER',
  /** A business-scoped user ID (or parent BSUID), sent to Meta as `recipient`. */
  BSUID = 'BSUID',
}

/** The window of a number's or a WABA's marketing send counts (`…/marketing-messages/summary`): the last 24 h. */
export const MARKETING_SUMMARY_WINDOW_MS = 24 * 60 * 60_000;

/** Failure codes a send summary lists, the most frequent first. */
export const MARKETING_SUMMARY_TOP_FAILURES = 5;

/** Rows one retention statement deletes: short statements that hold few row locks, never the table. */
export const MARKETING_PRUNE_BATCH = 1_000;

/** Batches one retention run deletes at most per table; what remains waits for the next run. */
export const MARKETING_PRUNE_MAX_BATCHES = 100;

/**
 * Where a recorded marketing send stands (`MarketingMessage.status`). UNKNOWN: the POST left but its answer
 * was lost (or the service stopped mid-call), so Meta may or may not have it; a status webhook settles it.
 * ACCEPTED: Meta answered with a message ID. SENT, DELIVERED, READ, FAILED: Meta's status webhooks.
 */
export enum MarketingMessageStatus {
  UNKNOWN = 'UNKNOWN',
  ACCEPTED = 'ACCEPTED',
  SENT = 'SENT',
  DELIVERED = 'DELIVERED',
  READ = 'READ',
  FAILED = 'FAILED',
}

/**
 * The order statuses apply in: a status applies only over a lower rank, so a late `sent` never overwrites
 * `read`. FAILED outranks everything and nothing outranks it (a failure is final), which also lets a
 * `failed` that Meta reports after `delivered` apply.
 */
export const MARKETING_MESSAGE_STATUS_RANK: Readonly<Record<MarketingMessageStatus, number>> = {
  [MarketingMessageStatus.UNKNOWN]: 0,
  [MarketingMessageStatus.ACCEPTED]: 0,
  [MarketingMessageStatus.SENT]: 1,
  [MarketingMessageStatus.DELIVERED]: 2,
  [MarketingMessageStatus.READ]: 3,
  [MarketingMessageStatus.FAILED]: 4,
};

/** Why sends to a recipient of a WABA are refused before Meta (`marketing_recipient_holds.kind`). */
export enum MarketingHoldKind {
  /** The user stopped marketing messages (131050, or a `user_preferences` stop) until they resume. */
  OPTED_OUT = 'OPTED_OUT',
  /** Meta limited marketing to the user (131049): no send until `until` (the status time + 24 h). */
  PAUSED = 'PAUSED',
}

/** Meta's code of a marketing send to a user who stopped marketing messages from the business. */
export const META_CODE_RECIPIENT_OPTED_OUT = 131050;

/** Meta's code of a marketing send withheld by the per-user marketing limit (or a blocked region). */
export const META_CODE_MARKETING_LIMITED = 131049;

/** How long sends to a recipient stay paused after a 131049, from Meta's time of the failure. */
export const MARKETING_PAUSE_MS = 24 * 60 * 60 * 1000;
