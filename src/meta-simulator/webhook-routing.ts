import type { JsonValue } from './meta-simulator.types';
import type { SimulatorStateStore } from './simulator-state.store';

/**
 * Fields Meta always delivers to the app's callback, whatever the WABA's subscription says: overrides do not
 * redirect them (graph-api-reference.md §2.6, §6.9), and partners report the same of template webhooks.
 */
const APP_CALLBACK_FIELDS: ReadonlySet<string> = new Set([
  'account_update',
  'account_review_update',
  'account_alerts',
  'message_template_status_update',
  'message_template_quality_update',
  'message_template_components_update',
  'template_category_update',
]);

/** Where Meta sends one webhook: the app's callback, an override, or nowhere (the app is not subscribed). */
export type WebhookRoute = { to: 'app' } | { to: 'override'; url: string } | { to: 'none' };

/**
 * Routes a webhook as Meta does (graph-api-2026.md §A.8, REF §6.9): phone-number override, then the WABA's
 * `override_callback_uri` in `subscribed_apps`, then the app's callback; and "without this subscription you
 * receive no message/status webhooks" (REF §2.6), so a `messages` delivery of a WABA our app is not
 * subscribed to is not sent. Whether other WABA fields still arrive without a subscription is not documented:
 * they are delivered to the app's callback here. Payloads about no known WABA (a partner's portfolio id as
 * `entry.id`, a raw string) go to the app's callback.
 */
export function routeWebhook(payload: JsonValue | string, state: SimulatorStateStore): WebhookRoute {
  const change = firstChange(payload);
  if (!change || APP_CALLBACK_FIELDS.has(change.field) || !state.wabas.has(change.entryId)) {
    return { to: 'app' };
  }
  const subscription = state.subscriptions.get(change.entryId);
  if (!subscription) {
    return change.field === 'messages' ? { to: 'none' } : { to: 'app' };
  }
  const phoneOverride = change.phoneNumberId ? state.phones.get(change.phoneNumberId)?.webhookOverrideUri : null;
  const override = phoneOverride || subscription.overrideCallbackUri;
  return override ? { to: 'override', url: override } : { to: 'app' };
}

function firstChange(
  payload: JsonValue | string,
): { entryId: string; field: string; phoneNumberId: string | null } | null {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return null;
  }
  const entry = Array.isArray(payload.entry) ? payload.entry[0] : undefined;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry) || typeof entry.id !== 'string') {
    return null;
  }
  const change = Array.isArray(entry.changes) ? entry.changes[0] : undefined;
  if (typeof change !== 'object' || change === null || Array.isArray(change) || typeof change.field !== 'string') {
    return null;
  }
  const value = change.value;
  const metadata = typeof value === 'object' && value !== null && !Array.isArray(value) ? value.metadata : undefined;
  const phoneNumberId =
    typeof metadata === 'object' &&
    metadata !== null &&
    !Array.isArray(metadata) &&
    typeof metadata.phone_number_id === 'string'
      ? metadata.phone_number_id
      : null;
  return { entryId: entry.id, field: change.field, phoneNumberId };
}
