/** Graph version assumed when a path has no `/vNN.N/` prefix. */
export const SIM_DEFAULT_GRAPH_VERSION = 'v25.0';

/** Business-use-case window of the WABA-management rate limit (§1.6: calls per hour). */
export const SIM_BUC_WINDOW_MS = 60 * 60 * 1000;

/** Calls per WABA per hour before 80008 (the 5,000/h bucket of active WABAs, §1.6). */
export const SIM_DEFAULT_BUC_CALL_BUDGET = 5000;

/** App-level calls per hour that X-App-Usage reports as 100 %. */
export const SIM_APP_CALL_BUDGET = 1_000_000;

/** Embedded Signup codes live 30 seconds (§2.2). */
export const SIM_DEFAULT_CODE_TTL_SECONDS = 30;

/** Business tokens from the ES configuration template "…With 60 Expiration Token" (§2.4). */
export const SIM_DEFAULT_BUSINESS_TOKEN_TTL_SECONDS = 60 * 24 * 60 * 60;

/** Register + deregister requests allowed per number per rolling 72 h (§2.8). */
export const SIM_REGISTRATION_LIMIT = 10;
export const SIM_REGISTRATION_WINDOW_MS = 72 * 60 * 60 * 1000;

/** Cloud API throughput per number: STANDARD 80 mps, HIGH 1,000 mps (§1.5, S22). */
export const SIM_DEFAULT_THROUGHPUT_MPS = 80;
export const SIM_HIGH_THROUGHPUT_MPS = 1000;

/** Pair rate limit: short bursts of about 45 tolerated, then about one message per 6 s (§1.5). */
export const SIM_PAIR_BURST = 45;
export const SIM_PAIR_REFILL_MS = 6000;

/** Templates younger than this are still syncing to the ad account (134101, §5.1). */
export const SIM_TEMPLATE_SYNC_SECONDS = 10 * 60;

/** Maximum ids of a multi-ID read (§1.9). */
export const SIM_MAX_MULTI_IDS = 50;

/** Default and maximum page sizes of list edges. */
export const SIM_DEFAULT_PAGE_LIMIT = 25;
export const SIM_MAX_PAGE_LIMIT = 500;

/** Meta's documentation sample IDs (§0), used by the demo seed so fixtures line up. */
export const SIM_DEMO_IDS = {
  appId: '634974688087057',
  businessId: '506914307656634',
  wabaId: '102290129340398',
  phoneNumberId: '106540352242922',
  displayPhoneNumber: '+1 555-078-3881',
  partnerBusinessId: '2949482758682047',
} as const;

/** Dev-only app secret used by `npm run meta-sim` when META_APP_SECRET is unset. */
export const SIM_DEV_APP_SECRET = 'sandbox-app-secret-not-for-production';

/** Graph node type names used in "nonexisting field" errors (§1.8). */
export const SIM_NODE_TYPE = {
  waba: 'WhatsAppBusinessAccount',
  phoneNumber: 'WhatsAppBusinessPhoneNumber',
  business: 'Business',
} as const;

/** `marketing_messages_onboarding_status` values (§5.2). */
export const SIM_MM_STATUSES = [
  'INELIGIBLE_ON_BEHALF_OF_WABA',
  'INELIGIBLE_INACTIVE_OR_RESTRICTED',
  'INELIGIBLE_COUNTRY_NOT_SUPPORTED',
  'INELIGIBLE_USING_WHATSAPP_BUSINESS_APP',
  'ELIGIBLE',
  'PENDING_VALID_PAYMENT_METHOD',
  'PENDING_INTERNAL_SETUP',
  'ONBOARDED',
] as const;

/** Request-log keys whose values are secrets. */
export const SIM_REDACTED_KEYS = new Set(['access_token', 'client_secret', 'input_token']);

/** Placeholder for redacted values in the request log. */
export const SIM_REDACTED = '[REDACTED]';

/** Entries of an `oversized` fault's answer: a list edge that ignored `limit` and sent everything at once. */
export const SIM_OVERSIZED_ITEMS = 200_000;

/**
 * Where a WEBHOOKS_OVERRIDDEN event sends a WABA's webhooks unless it names a URL: a name reserved never to
 * resolve (RFC 2606), so the sandbox never posts anywhere real and the deliveries just do not reach us.
 */
export const SIM_DEFAULT_OVERRIDE_CALLBACK_URI = 'https://alternate-callback.example/webhook';

/** Every `RecipientOutcome`: how a recipient's sends end (status webhooks, §5.7, §6.8). */
export const SIM_RECIPIENT_OUTCOMES = [
  'per_user_limit',
  'opted_out',
  'experiment',
  'undeliverable',
  'delivered',
  'read',
  'read_before_delivered',
  'sent_last',
] as const;

/** Status delays of sandbox mode: human-scale, so that a person trying a send sees it progress. */
export const SIM_SANDBOX_STATUS_DELAYS_MS = { sent: 500, delivered: 1500, read: 4000 } as const;
