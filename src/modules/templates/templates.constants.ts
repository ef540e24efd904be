/** Template categories (graph-api-2026.md §A.1.2); Meta may add values, which are stored as sent. */
export enum TemplateCategory {
  MARKETING = 'MARKETING',
  UTILITY = 'UTILITY',
  AUTHENTICATION = 'AUTHENTICATION',
}

/** Template statuses (§A.1.2); only APPROVED is sendable. Meta may add values, which are stored as sent. */
export enum TemplateStatus {
  APPROVED = 'APPROVED',
  PENDING = 'PENDING',
  REJECTED = 'REJECTED',
  PAUSED = 'PAUSED',
  DISABLED = 'DISABLED',
  IN_APPEAL = 'IN_APPEAL',
  ARCHIVED = 'ARCHIVED',
  LIMIT_EXCEEDED = 'LIMIT_EXCEEDED',
  PENDING_DELETION = 'PENDING_DELETION',
  DELETED = 'DELETED',
}

/** What a template webhook did to the stored templates (the inbox outcome is derived from it). */
export enum TemplateChangeOutcome {
  /** Applied to a stored template (or a template created from the webhook). */
  APPLIED = 'APPLIED',
  /** Older than what the template's fact shows: nothing changed. */
  STALE = 'STALE',
  /** Not enough is known to apply it: the WABA's templates are due for a read by the next round. */
  REFRESH_SCHEDULED = 'REFRESH_SCHEDULED',
}

/**
 * `message_template_status_update` events that set the template's status to the event itself. The others
 * say something about the template without being a status Graph reads (FLAGGED: at risk; REINSTATED and
 * UNARCHIVED: sendable again; LOCKED: cannot be edited), see {@link statusOfEvent}.
 */
const EVENTS_AS_STATUS = new Set<string>(Object.values(TemplateStatus));

/**
 * The status a `message_template_status_update` event leaves the template in (§A.2.1): the event itself for
 * the statuses Graph knows; REINSTATED and UNARCHIVED bring it back to APPROVED (Meta re-reviews nothing);
 * FLAGGED and LOCKED leave the status as it is (null).
 */
export function statusOfEvent(event: string): string | null {
  if (EVENTS_AS_STATUS.has(event)) {
    return event;
  }
  return event === 'REINSTATED' || event === 'UNARCHIVED' ? TemplateStatus.APPROVED : null;
}

/** Back-off of a WABA's template read after a failure: doubled per failure from this, capped below. */
export const TEMPLATE_SYNC_RETRY_BASE_MS = 5 * 60_000;

/** Longest wait before a WABA whose template reads keep failing is tried again. */
export const TEMPLATE_SYNC_RETRY_MAX_MS = 6 * 3_600_000;

/** Templates per WABA the list endpoint's `q` and filters run over (Meta's cap is 6,000 per WABA). */
export const TEMPLATE_QUERY_MAX_LENGTH = 100;
