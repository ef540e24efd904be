/** The API as the console uses it: same origin, the organization key as bearer, errors as problem details. */

const KEY_STORAGE = 'wa-assets.api-key';

/** An RFC 9457 problem the API answered; `detail` is the sentence the console shows. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly code: string | null,
  ) {
    super(detail);
  }
}

export type WabaStatus = 'ACTIVE' | 'DISABLED';
export type MmLiteStatus = 'ONBOARDED' | 'NOT_ONBOARDED' | null;
export type SendingChannel = 'CLOUD_API' | 'MM_LITE';

export interface WabaRow {
  wabaId: string;
  name: string;
  status: WabaStatus;
  statusReason: string | null;
  mmLiteStatus: MmLiteStatus;
  associatedNumbers: number;
  connection: 'CONNECTED' | 'REAUTH_REQUIRED';
  /** The type of the newest ACTIVE CRITICAL account alert (a warning, not a status), or null. */
  criticalAlert: string | null;
  lastSyncedAt: string | null;
}

/** An account alert Meta reported (`account_alerts`). */
export interface WabaAlert {
  type: string;
  severity: string;
  status: string;
  description: string | null;
  entityType: string;
  entityId: string;
  occurredAt: string;
}

export interface WabaDetail extends WabaRow {
  currency: string | null;
  timezoneId: string | null;
  accountReviewStatus: string | null;
  businessVerificationStatus: string | null;
  ownerBusinessId: string | null;
  health: Record<string, unknown> | null;
  mmLite: {
    metaStatus: string | null;
    termsStatus: string | null;
    setupStartedAt: string | null;
    lastCheckedAt: string | null;
  };
  alerts: WabaAlert[];
  webhooks: 'SUBSCRIBED' | 'MISSING' | 'OVERRIDDEN' | null;
  /** Where Meta delivers the WABA's webhooks instead, when OVERRIDDEN. */
  webhooksOverrideUri?: string | null;
  webhooksCheckedAt?: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface MmLiteStep {
  key: 'ACCEPT_TERMS' | 'REFRESH_STATUS' | 'SWITCH_NUMBER_CHANNEL';
  state: 'DONE' | 'TODO' | 'BLOCKED';
  detail: string;
  actionUrl?: string;
}

export interface MmLitePanel {
  wabaId: string;
  status: MmLiteStatus;
  metaStatus: string | null;
  termsStatus: string | null;
  setupStartedAt: string | null;
  lastCheckedAt: string | null;
  steps: MmLiteStep[];
  numbers: { phoneNumberId: string; displayPhoneNumber: string; sendingChannel: SendingChannel }[];
  regionNotice: string;
  /** APPROVED MARKETING templates of the WABA: what MM Lite can send. */
  approvedMarketingTemplates: number;
}

export interface PhoneNumber {
  phoneNumberId: string;
  wabaId: string;
  displayPhoneNumber: string;
  verifiedName: string | null;
  qualityRating: string | null;
  status: string | null;
  sendingChannel: SendingChannel;
  registration: { status: 'PENDING' | 'REGISTERED' | 'FAILED'; error: { code: string; message: string } | null };
  updatedAt: string;
}

export interface AuditEvent {
  id: string;
  type: string;
  wabaId: string | null;
  phoneNumberId: string | null;
  source: 'API' | 'WEBHOOK' | 'SYNC';
  actor: string | null;
  before: unknown;
  after: unknown;
  occurredAt: string;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** GET /api/v1/embedded-signup/config: what launching Embedded Signup v4 takes. */
export interface SignupConfig {
  appId: string | null;
  configId: string | null;
  graphApiVersion: string;
  sandbox: boolean;
  version: string;
  responseType: string;
  overrideDefaultResponseType: boolean;
  extras: Record<string, unknown>;
  sessionInfoType: string;
}

export interface Organization {
  id: string;
  name: string;
  createdAt: string;
}

/** The organization key of this browser tab: sessionStorage, so closing the tab or "Sign out" forgets it. */
export const session = {
  key: (): string | null => sessionStorage.getItem(KEY_STORAGE),
  signIn: (key: string): void => sessionStorage.setItem(KEY_STORAGE, key),
  signOut: (): void => sessionStorage.removeItem(KEY_STORAGE),
};

/** Called when the API refuses the stored key, so the app can go back to sign-in. */
let onUnauthenticated: () => void = () => undefined;
export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

/** One API call; resolves with the JSON body (undefined for 202/204), rejects with an {@link ApiProblem}. */
export async function call<T>(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  bearer: string | null = session.key(),
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (bearer) {
    headers.Authorization = `Bearer ${bearer}`;
  }
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiProblem(0, 'The service could not be reached. Check that it is running, then try again.', null);
  }
  const text = await response.text();
  const parsed: unknown = text ? safeJson(text) : undefined;
  if (!response.ok) {
    const problem = (parsed ?? {}) as { detail?: string; title?: string; code?: string };
    if (response.status === 401 && bearer === session.key()) {
      onUnauthenticated();
    }
    throw new ApiProblem(
      response.status,
      problem.detail ?? problem.title ?? `The service answered ${response.status}.`,
      problem.code ?? null,
    );
  }
  return parsed as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A query string of the set values only. */
export function query(params: Record<string, string | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value) {
      search.set(name, value);
    }
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** The sentence of any failure, for the page. */
export function messageOf(error: unknown): string {
  return error instanceof ApiProblem ? error.detail : error instanceof Error ? error.message : String(error);
}
