/** Kinds of audit records (api-contract.md, Audit). */
export enum AuditEventType {
  WABA_CONNECTED = 'WABA_CONNECTED',
  PHONE_NUMBER_ADDED = 'PHONE_NUMBER_ADDED',
  WABA_STATUS_CHANGED = 'WABA_STATUS_CHANGED',
  MM_LITE_STATUS_CHANGED = 'MM_LITE_STATUS_CHANGED',
  SENDING_CHANNEL_CHANGED = 'SENDING_CHANNEL_CHANGED',
  PHONE_NUMBER_UPDATED = 'PHONE_NUMBER_UPDATED',
  CONNECTION_CHANGED = 'CONNECTION_CHANGED',
  PHONE_NUMBER_REGISTERED = 'PHONE_NUMBER_REGISTERED',
  /** A Meta-side WABA field outside the status columns changed (e.g. the account review decision). */
  WABA_UPDATED = 'WABA_UPDATED',
  /** Whether and where Meta delivers the WABA's webhooks changed (a check of `subscribed_apps` found it). */
  WEBHOOKS_CHANGED = 'WEBHOOKS_CHANGED',
  /** The app's webhook subscription, found missing, was made again. */
  WEBHOOKS_RESUBSCRIBED = 'WEBHOOKS_RESUBSCRIBED',
  /** Meta reported a new account alert, or a new state of one (`account_alerts`): before/after the alert. */
  ACCOUNT_ALERT_CHANGED = 'ACCOUNT_ALERT_CHANGED',
}
