import type {
  ExchangedToken,
  MessageRecipient,
  MmLiteTermsStatus,
  MultiReadResult,
  PhoneNumberSnapshot,
  SentMessage,
  SubscribedApp,
  TemplateMessage,
  TemplateSnapshot,
  TemplatesReadResult,
  TokenInspection,
  WabaSnapshot,
} from './meta-gateway.types';

/**
 * The port through which every other module talks to Meta's Graph API. Bound to GraphApiMetaGateway;
 * unit tests use test/fakes/fake-meta-gateway.ts. Every method throws only MetaGatewayException.
 * `token` arguments are business (or system-user) tokens in plaintext, decrypted by the caller just
 * before the call; the gateway never logs them.
 */
export abstract class MetaGateway {
  /**
   * `GET /oauth/access_token?client_id&client_secret&code`: exchanges an Embedded Signup code.
   * Never retried (a code is single-use). Throws INVALID_REQUEST (code 100: used/expired/invalid code),
   * AUTH_INVALID, TRANSIENT, RATE_LIMITED, UNKNOWN.
   */
  abstract exchangeCode(code: string): Promise<ExchangedToken>;

  /**
   * `GET /debug_token?input_token=` with the app access token. Returns `isValid: false` (not a throw)
   * for a rejected input token. Throws TRANSIENT, RATE_LIMITED, AUTH_INVALID (app credentials), UNKNOWN.
   */
  abstract inspectToken(inputToken: string): Promise<TokenInspection>;

  /**
   * `GET /{waba-id}?fields=<WABA_FIELDS>`. Throws NOT_FOUND, AUTH_INVALID, PERMISSION_DENIED,
   * RATE_LIMITED, TRANSIENT, ACCOUNT_RESTRICTED, INVALID_REQUEST, UNKNOWN.
   */
  abstract getWaba(wabaId: string, token: string): Promise<WabaSnapshot>;

  /**
   * `GET /?ids=…&fields=<WABA_FIELDS>` in chunks of at most 50 IDs. A failing chunk does not fail the
   * others: its IDs land in `failed`. Throws nothing for per-chunk errors.
   */
  abstract getWabas(wabaIds: string[], token: string): Promise<MultiReadResult<WabaSnapshot>>;

  /**
   * `GET /{waba-id}/phone_numbers?fields=<PHONE_FIELDS>`, following `paging.next` to the end.
   * Same error classes as getWaba.
   */
  abstract listPhoneNumbers(wabaId: string, token: string): Promise<PhoneNumberSnapshot[]>;

  /** `GET /{phone-number-id}?fields=<PHONE_FIELDS>`. Same error classes as getWaba. */
  abstract getPhoneNumber(phoneNumberId: string, token: string): Promise<PhoneNumberSnapshot>;

  /** `GET /?ids=…&fields=<PHONE_FIELDS>` in chunks of at most 50 IDs; per-chunk failures as in getWabas. */
  abstract getPhoneNumbers(phoneNumberIds: string[], token: string): Promise<MultiReadResult<PhoneNumberSnapshot>>;

  /**
   * `GET /{waba-id}/message_templates?fields=<META_TEMPLATE_FIELDS>`, following `paging.next` to the end
   * (graph-api-2026.md §A.1.1). Same error classes as getWaba; a failure on any page fails the whole list.
   */
  abstract listMessageTemplates(wabaId: string, token: string): Promise<TemplateSnapshot[]>;

  /**
   * The templates of several WABAs: `GET /?ids=<≤50>&fields=message_templates.limit(n){…}` per chunk, and a
   * WABA with more templates than one nested page read alone to the end. Per-WABA failures land in
   * `failed`; throws only for a bad argument (INVALID_REQUEST).
   */
  abstract readTemplatesOfWabas(wabaIds: string[], token: string): Promise<TemplatesReadResult>;

  /**
   * `POST /{waba-id}/subscribed_apps`: subscribes the app to the WABA's webhooks. Not retried.
   * Throws AUTH_INVALID, PERMISSION_DENIED, NOT_FOUND, RATE_LIMITED, TRANSIENT, UNKNOWN.
   */
  abstract subscribeApp(wabaId: string, token: string): Promise<void>;

  /**
   * `GET /{waba-id}/subscribed_apps`, following `paging.next` if Meta sends it: the apps that get the
   * WABA's webhooks, each with its `override_callback_uri`; empty when none is subscribed. Retried as a
   * read. Same error classes as getWaba; TRANSIENT for an entry without an app id.
   */
  abstract getSubscribedApps(wabaId: string, token: string): Promise<SubscribedApp[]>;

  /**
   * `POST /{phone-number-id}/register` `{messaging_product: "whatsapp", pin}`. Not retried.
   * Throws INVALID_REQUEST (133005 wrong PIN, 100…), ACCOUNT_RESTRICTED (131031), RATE_LIMITED (133016),
   * TRANSIENT (133004, 5xx), AUTH_INVALID, PERMISSION_DENIED, UNKNOWN.
   */
  abstract registerPhoneNumber(phoneNumberId: string, pin: string, token: string): Promise<void>;

  /**
   * `GET /{business-id}?fields=marketing_messages_onboarding_status`: the portfolio's MM Lite terms status.
   * Returns null when Meta has no status for it. Same error classes as getWaba.
   */
  abstract getBusinessTermsStatus(businessId: string, token: string): Promise<MmLiteTermsStatus | null>;

  /**
   * `POST /{phone-number-id}/messages` with a template, to a phone number (`to`) or a BSUID (`recipient`).
   * Never retried. Throws the send errors classified (RATE_LIMITED 130429/131056/131064, ACCOUNT_RESTRICTED
   * 368/131031, INVALID_REQUEST 131049/131050/131061/131062/131063/…), OUTCOME_UNKNOWN when the POST may have
   * reached Meta but no usable answer came back (the message may have gone: do not resend), and TRANSIENT
   * only when nothing can have happened at Meta. `callbackData` goes out as `biz_opaque_callback_data`,
   * which Meta echoes in the message's status webhooks (the caller's own ID of the send).
   */
  abstract sendTemplateMessage(
    phoneNumberId: string,
    recipient: MessageRecipient,
    template: TemplateMessage,
    token: string,
    callbackData?: string,
  ): Promise<SentMessage>;

  /** `POST /{phone-number-id}/marketing_messages` with a template. Not retried; errors as sendTemplateMessage. */
  abstract sendMarketingMessage(
    phoneNumberId: string,
    recipient: MessageRecipient,
    template: TemplateMessage,
    token: string,
  ): Promise<SentMessage>;

  /**
   * When Meta has throttled calls for this business object (WABA), the time until which callers should
   * not call for it; null when not throttled. Fed by X-Business-Use-Case-Usage and rate-limit errors.
   */
  abstract throttledUntil(businessObjectId: string): Date | null;
}
