/** Graph's limit of IDs in one `GET /?ids=` call (graph-api-reference.md §1.9). */
export const META_MULTI_ID_CHUNK_SIZE = 50;

/**
 * Largest Graph answer the gateway reads, in bytes after decompression. The largest answers we ask for are
 * a page of 100 phone numbers with every field (~90 KB) and a multi-ID read of 50 WABAs (~40 KB), so 4 MiB
 * is ~45× headroom. An answer above it means Meta (or a proxy) ignored `limit` or sent garbage, and reading
 * it would buffer an unbounded body on every sync: it is refused as UNKNOWN, not retried.
 */
export const META_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** Largest request body the gateway sends; ours (template sends, registration) are a few hundred bytes. */
export const META_MAX_REQUEST_BYTES = 1024 * 1024;

/** Page size asked of list edges; Meta may return fewer. */
export const META_LIST_PAGE_SIZE = 100;

/** Safety stop for a paging loop that never ends (a cursor that keeps pointing at itself). */
export const META_MAX_PAGES = 1000;

/** First retry waits up to this long (full jitter: a random delay between 0 and the bound). */
export const META_RETRY_BASE_DELAY_MS = 200;

/** No single back-off wait is longer than this. */
export const META_RETRY_MAX_DELAY_MS = 2000;

/**
 * Longest Retry-After / estimated_time_to_regain_access the gateway waits out in-process. Anything longer
 * is surfaced as RATE_LIMITED with retryAfterSeconds, because blocking a caller for minutes helps nobody.
 */
export const META_MAX_HONOURED_RETRY_AFTER_SECONDS = 5;

/** A business-use-case percentage at or above this pauses the business object (§1.6: "≥ ~90"). */
export const META_USAGE_THROTTLE_PERCENT = 90;

/** Pause when usage is high but Meta gives no estimate, or a throttling error carries no hint. */
export const META_DEFAULT_THROTTLE_SECONDS = 60;

/** Meta asks to wait at least 10 minutes after 134101 "template still syncing" (§5.1, §8). */
export const META_TEMPLATE_SYNC_RETRY_AFTER_SECONDS = 600;

/** Fields of `GET /{waba-id}` that WabaSnapshot needs (§3.1, §3.4, §5.2). */
export const META_WABA_FIELDS = [
  'id',
  'name',
  'status',
  'currency',
  'timezone_id',
  'country',
  'account_review_status',
  'business_verification_status',
  'ownership_type',
  'owner_business_info',
  'marketing_messages_onboarding_status',
  'health_status',
].join(',');

/** Fields of `GET /{phone-number-id}` that PhoneNumberSnapshot needs (§4.3). */
export const META_PHONE_NUMBER_FIELDS = [
  'id',
  'display_phone_number',
  'verified_name',
  'quality_rating',
  'status',
  'name_status',
  'code_verification_status',
  'platform_type',
  'throughput',
  'messaging_limit_tier',
  'health_status',
].join(',');

/**
 * Fields of each template of `GET /{waba-id}/message_templates` that TemplateSnapshot needs (graph-api-2026.md
 * §A.1.1): asked for explicitly, so that Meta does not send every template's components.
 */
export const META_TEMPLATE_FIELDS = [
  'id',
  'name',
  'language',
  'status',
  'category',
  'previous_category',
  'correct_category',
  'rejected_reason',
  'quality_score',
].join(',');

/**
 * Templates per WABA asked for inside a multi-ID read (`message_templates.limit(n){…}`): a WABA with at
 * least this many is read again alone, page by page, to the end.
 */
export const META_TEMPLATES_PER_NESTED_READ = 100;

/** Field of the business portfolio carrying the MM Lite terms status (§5.2). */
export const META_BUSINESS_TERMS_FIELDS = 'marketing_messages_onboarding_status';

/**
 * How often an instance reloads the throttle pauses every instance shares (PostgreSQL or Redis): a pause
 * that another instance recorded is respected here at most this long after, and until then a "not
 * throttled" answer comes from this instance's copy without a query.
 */
export const META_THROTTLE_REFRESH_MS = 1_000;

/** An expired shared pause is deleted once it is this old (in the same reload, at most once a minute). */
export const META_THROTTLE_SWEEP_INTERVAL_MS = 60_000;

/** Key of the Redis sorted set holding the shared pauses (member = scope, score = until, epoch ms). */
export const META_THROTTLE_REDIS_KEY = 'wa:meta-throttle:pauses';

/** Redis commands of the throttle store give up after this long (the pause then stays per instance). */
export const META_THROTTLE_REDIS_TIMEOUT_MS = 500;

/** Scope of the app-wide pause in the shared store; every other scope is a business object's ID. */
export const META_THROTTLE_APP_SCOPE = 'app';
