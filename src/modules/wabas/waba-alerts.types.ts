/**
 * Meta's `account_alerts` values (graph-api-2026.md §A.5) that this service reads. Alerts are stored with
 * the values as Meta documents them; the 2026 SDK spellings (`INFO`, `RESOLVED`) are read as these.
 */

/** What an alert is about (`entity_type`): the WABA itself is the flat variant's `WABA`. */
export enum AlertEntityType {
  WABA = 'WABA',
  /** The business portfolio (`entity_id` is the portfolio ID). */
  BUSINESS = 'BUSINESS',
  PHONE_NUMBER = 'PHONE_NUMBER',
  /** The number's business profile. */
  CURRENT_STATUS_ID = 'CURRENT_STATUS_ID',
}

/** `alert_severity`: CRITICAL is a rejection or denial, WARNING "action may be needed". */
export enum AlertSeverity {
  CRITICAL = 'CRITICAL',
  WARNING = 'WARNING',
  INFORMATIONAL = 'INFORMATIONAL',
}

/** `alert_status`: ACTIVE until Meta reports NONE. */
export enum AlertStatus {
  ACTIVE = 'ACTIVE',
  NONE = 'NONE',
}

/** One `account_alerts` report, read from the webhook by its receiver. */
export interface AccountAlertReport {
  /** An {@link AlertEntityType} value, or what Meta sent when it is another. */
  entityType: string;
  /** The portfolio, number or profile ID; the WABA ID when the alert is about the WABA. */
  entityId: string;
  /** The number's ID when the alert is about one of the WABA's numbers (for the audit record), else null. */
  phoneNumberId: string | null;
  /** `alert_type` (e.g. `INCREASED_CAPABILITIES_ELIGIBILITY_FAILED`). */
  type: string;
  /** An {@link AlertSeverity} value, or what Meta sent when it is another. */
  severity: string;
  /** An {@link AlertStatus} value, or what Meta sent when it is another. */
  status: string;
  /** Meta's sentence, shown as is and never parsed; null when absent. */
  description: string | null;
}

/** An alert as the WABA detail shows it. */
export interface WabaAlertView {
  type: string;
  severity: string;
  status: string;
  description: string | null;
  entityType: string;
  entityId: string;
  /** Meta's time of the newest report of the alert (`entry.time`). */
  occurredAt: Date;
  /** When that report was received. */
  receivedAt: Date;
}
