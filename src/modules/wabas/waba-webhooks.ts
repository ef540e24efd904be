import type { SubscribedApp } from 'src/modules/meta-gateway/meta-gateway.types';

import { WebhooksStatus } from './wabas.constants';

/** What a check of `subscribed_apps` says of our app on one WABA. */
export interface WebhooksFinding {
  status: WebhooksStatus;
  /** Where Meta delivers instead of our callback: set only when OVERRIDDEN. */
  overrideUri: string | null;
}

/**
 * Classifies `GET /{waba}/subscribed_apps` for our app (graph-api-2026.md §A.8): MISSING when our app ID is
 * not listed (removed in Business settings, unshared, or a `DELETE`); SUBSCRIBED when it is, with no
 * `override_callback_uri` or with one that is our own callback; OVERRIDDEN when the override points
 * anywhere else. Without a configured callback URL (`callbackUrl` null) no override can be told to be ours,
 * so every override counts as OVERRIDDEN: the detail then shows where the deliveries go.
 */
export function classifySubscription(
  apps: readonly SubscribedApp[],
  appId: string,
  callbackUrl: string | null,
): WebhooksFinding {
  const ours = apps.find((app) => app.appId === appId);
  if (!ours) {
    return { status: WebhooksStatus.MISSING, overrideUri: null };
  }
  const override = ours.overrideCallbackUri;
  if (override === null || (callbackUrl !== null && sameUrl(override, callbackUrl))) {
    return { status: WebhooksStatus.SUBSCRIBED, overrideUri: null };
  }
  return { status: WebhooksStatus.OVERRIDDEN, overrideUri: override };
}

/** Two callback URLs name the same endpoint: scheme and host case, a default port and a trailing slash aside. */
export function sameUrl(left: string, right: string): boolean {
  const normal = (value: string): string | null => {
    try {
      const url = new URL(value);
      return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}${url.search}`;
    } catch {
      return null;
    }
  };
  const a = normal(left);
  return a !== null && a === normal(right);
}
