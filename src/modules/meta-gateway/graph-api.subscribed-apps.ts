import { isObject } from './graph-api.payloads';
import type { SubscribedApp } from './meta-gateway.types';

/** One entry of `GET /{waba}/subscribed_apps` as Meta sends it (graph-api-2026.md §A.8, REF §2.6). */
export interface GraphSubscribedApp {
  whatsapp_business_api_data?: { id?: unknown; name?: unknown; link?: unknown };
  override_callback_uri?: unknown;
}

/**
 * One subscribed app; null when the entry carries no app id. The caller fails the whole answer then rather
 * than skip the entry: an app it cannot read might be ours, and reading the list as "our app is missing"
 * would re-subscribe, which removes an override (§A.8).
 */
export function toSubscribedApp(raw: unknown): SubscribedApp | null {
  if (!isObject(raw)) {
    return null;
  }
  const entry = raw as GraphSubscribedApp;
  const app = isObject(entry.whatsapp_business_api_data) ? entry.whatsapp_business_api_data : null;
  // Graph ids are strings; a number is read as one (template ids arrive as JSON numbers elsewhere).
  const id = typeof app?.id === 'string' || typeof app?.id === 'number' ? String(app.id) : '';
  if (!app || id === '') {
    return null;
  }
  const override = entry.override_callback_uri;
  return {
    appId: id,
    name: typeof app.name === 'string' ? app.name : null,
    overrideCallbackUri: typeof override === 'string' && override !== '' ? override : null,
  };
}
