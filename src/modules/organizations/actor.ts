/**
 * Who made a change or asked for the read that found it, as the audit trail spells it. One type for every
 * writer, so the trail cannot drift into new spellings:
 * - `api-key:<id>`: an organization API key's request;
 * - `admin`: a request with the admin token;
 * - `system`: the service's own jobs (re-sync rounds, retries);
 * - `system:<rule>`: a rule the service enforces on its own (e.g. `system:waba-disabled`);
 * - `meta-webhook`: a webhook delivery from Meta.
 */
export type Actor = `api-key:${string}` | 'admin' | 'system' | `system:${string}` | 'meta-webhook';

/** The actors that are not a request's caller. */
export const Actors = {
  admin: 'admin',
  system: 'system',
  metaWebhook: 'meta-webhook',
  /** The actor of a change made by a rule of the service (`system:<rule>`). */
  rule: (rule: string): Actor => `system:${rule}`,
  /** The actor of an organization API key's request. */
  apiKey: (apiKeyId: string): Actor => `api-key:${apiKeyId}`,
} as const;
