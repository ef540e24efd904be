/**
 * Raw Graph API shapes, snake_case exactly as Meta sends them (graph-api-reference.md). Every field is
 * optional or widened to `unknown` where Meta is inconsistent, because these describe untrusted input:
 * the gateway narrows them before anything leaves the module.
 */

/** The `error` object of Graph's error envelope (§1.4). */
export interface GraphApiError {
  message?: string;
  type?: string;
  code?: number | string;
  error_subcode?: number | string;
  error_user_title?: string;
  error_user_msg?: string;
  /** WhatsApp codes carry `{messaging_product, details}`; classic Graph sometimes sends a JSON string. */
  error_data?: GraphApiErrorData | string;
  is_transient?: boolean;
  fbtrace_id?: string;
  /** Seen on some throttling errors; minutes. */
  estimated_time_to_regain_access?: number | string;
}

/** `error.error_data` of a WhatsApp error. */
export interface GraphApiErrorData {
  messaging_product?: string;
  details?: string;
  estimated_time_to_regain_access?: number | string;
}

/** Graph's error envelope: `{ "error": { … } }` with a non-2xx status. */
export interface GraphApiErrorEnvelope {
  error: GraphApiError;
}

/** Cursor paging block of list edges (§1.7). `next` is absent on the last page; `paging` may be absent. */
export interface GraphPaging {
  cursors?: { before?: string; after?: string };
  previous?: string;
  next?: string;
}

/** A page of a list edge. */
export interface GraphListResponse<T> {
  data?: T[];
  paging?: GraphPaging;
}

/** `GET /?ids=a,b&fields=…` answer: an object keyed by ID (§1.9). */
export type GraphMultiIdResponse<T> = Record<string, T>;

/** `GET /oauth/access_token` success (§2.4); `token_type`/`expires_in` UNCONFIRMED, hence optional. */
export interface GraphOAuthAccessToken {
  access_token?: string;
  token_type?: string;
  expires_in?: number | string;
}

/** One `granular_scopes` entry of `debug_token`. `target_ids` is omitted when the grant is not per object. */
export interface GraphGranularScope {
  scope?: string;
  target_ids?: string[];
}

/** `data` of `GET /debug_token` (§2.5). Invalid tokens come back 200 with `is_valid: false` and `error`. */
export interface GraphDebugTokenData {
  app_id?: string;
  application?: string;
  type?: string;
  /** Unix seconds; 0 means never (UNCONFIRMED). */
  expires_at?: number;
  data_access_expires_at?: number;
  is_valid?: boolean;
  scopes?: string[];
  granular_scopes?: GraphGranularScope[];
  user_id?: string;
  error?: { code?: number; subcode?: number; message?: string };
}

/** `GET /debug_token` envelope. */
export interface GraphDebugTokenResponse {
  data?: GraphDebugTokenData;
}

/** Error entry of a `health_status` entity (§3.4). `error_code` is documented as an integer. */
export interface GraphHealthStatusError {
  error_code?: number | string;
  error_description?: string;
  possible_solution?: string;
}

/** One entity of `health_status.entities`. */
export interface GraphHealthStatusEntity {
  entity_type?: string;
  id?: string;
  can_send_message?: string;
  can_receive_call_sip?: string;
  additional_info?: string[];
  errors?: GraphHealthStatusError[];
}

/** `health_status` of a WABA, phone number or template (§3.4). */
export interface GraphHealthStatus {
  can_send_message?: string;
  entities?: GraphHealthStatusEntity[];
}

/** `marketing_messages_onboarding_status` of a business portfolio (an object, unlike the WABA's string). */
export interface GraphBusinessTermsStatus {
  status?: string;
  time?: string;
}

/** `owner_business_info` of a WABA; the terms status inside it may be absent (§5.2, UNCONFIRMED). */
export interface GraphOwnerBusinessInfo {
  id?: string;
  name?: string;
  marketing_messages_onboarding_status?: GraphBusinessTermsStatus;
}

/** `GET /{waba-id}` with the fields the gateway requests (§3.1). */
export interface GraphWaba {
  id?: string;
  name?: string;
  status?: string;
  currency?: string;
  timezone_id?: string;
  country?: string;
  account_review_status?: string;
  business_verification_status?: string;
  ownership_type?: string;
  owner_business_info?: GraphOwnerBusinessInfo;
  marketing_messages_onboarding_status?: string;
  health_status?: GraphHealthStatus;
}

/** `GET /{phone-number-id}` with the fields the gateway requests (§4.2, §4.3). */
export interface GraphPhoneNumber {
  id?: string;
  display_phone_number?: string;
  verified_name?: string;
  quality_rating?: string;
  status?: string;
  name_status?: string;
  code_verification_status?: string;
  platform_type?: string;
  throughput?: { level?: string };
  /** Deprecated tier; the doc's own examples sometimes use an integer. */
  messaging_limit_tier?: string | number;
  health_status?: GraphHealthStatus;
}

/** `GET /{business-id}?fields=marketing_messages_onboarding_status` (§5.2). */
export interface GraphBusiness {
  id?: string;
  marketing_messages_onboarding_status?: GraphBusinessTermsStatus | string;
}

/** `{ "success": true }` of action endpoints (§1.3). */
export interface GraphSuccessResponse {
  success?: boolean;
}

/** Answer of `POST /{phone}/messages` and `/marketing_messages` (§5.5). */
export interface GraphSendMessageResponse {
  messaging_product?: string;
  contacts?: Array<{ input?: string; wa_id?: string; user_id?: string }>;
  messages?: Array<{ id?: string; message_status?: string }>;
}

/**
 * Body of `POST /{phone}/messages` and `/marketing_messages` with a template (§5.5); exactly one of `to` (a
 * phone number) and `recipient` (a BSUID, graph-api-2026 §A.6).
 */
export interface GraphTemplateSendRequest {
  messaging_product: 'whatsapp';
  recipient_type: 'individual';
  to?: string;
  recipient?: string;
  type: 'template';
  template: { name: string; language: { code: string }; components?: unknown[] };
  /** Cloud API `/messages` only: echoed in the message's status webhooks (§6.8). */
  biz_opaque_callback_data?: string;
}

/** One `X-Business-Use-Case-Usage` entry, as sent inside the header's JSON (§1.6). */
export interface GraphBusinessUseCaseUsageEntry {
  type?: string;
  call_count?: number;
  total_cputime?: number;
  total_time?: number;
  /** Minutes; 0 when not throttled. */
  estimated_time_to_regain_access?: number;
}

/** Parsed `X-Business-Use-Case-Usage` header value: entries keyed by business object ID. */
export type GraphBusinessUseCaseUsageHeader = Record<string, GraphBusinessUseCaseUsageEntry[]>;

/** Parsed `X-App-Usage` header value (percentages). */
export interface GraphAppUsageHeader {
  call_count?: number;
  total_cputime?: number;
  total_time?: number;
}

/** A template of `GET /{waba-id}/message_templates` with the fields the gateway requests (2026 §A.1.1). */
export interface GraphMessageTemplate {
  id?: string | number;
  name?: string;
  language?: string;
  status?: string;
  category?: string;
  previous_category?: string | null;
  correct_category?: string | null;
  rejected_reason?: string;
  quality_score?: { score?: string; date?: number } | null;
}
