import { Injectable, Logger, type OnModuleDestroy, Optional } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import type { AllConfig } from 'config/config.type';
import type { MetaConfig } from 'config/meta.config';

import { readAllPages, readByIds } from './graph-api.paging';
import {
  toExchangedToken,
  toPhoneNumberSnapshot,
  toTermsStatus,
  toTokenInspection,
  toWabaSnapshot,
} from './graph-api.payloads';
import { sendTemplate } from './graph-api.send';
import { type GraphSubscribedApp, toSubscribedApp } from './graph-api.subscribed-apps';
import { listTemplates, readTemplatesOfWabas } from './graph-api.templates';
import { GraphApiTransport, graphId } from './graph-api.transport';
import { GraphHttpClient } from './graph-http.client';
import type {
  GraphBusiness,
  GraphDebugTokenResponse,
  GraphOAuthAccessToken,
  GraphPhoneNumber,
  GraphSuccessResponse,
  GraphWaba,
} from './graph-api.types';
import { MetaCallObserver } from './meta-call-observer';
import { MetaGateway } from './meta-gateway';
import {
  META_BUSINESS_TERMS_FIELDS,
  META_LIST_PAGE_SIZE,
  META_PHONE_NUMBER_FIELDS,
  META_WABA_FIELDS,
} from './meta-gateway.constants';
import { MetaGatewayErrorCode, MetaGatewayException } from './meta-gateway.exception';
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
import { MetaThrottleRegistry } from './meta-throttle.registry';

/**
 * The Graph API implementation of {@link MetaGateway}: the only code that speaks HTTP to Meta.
 * Authenticates with `Authorization: Bearer`, abandons a call after `meta.requestTimeoutMs`, retries only
 * idempotent reads on TRANSIENT/RATE_LIMITED, reads the usage headers of every answer into the
 * {@link MetaThrottleRegistry}, and never logs a token or a query string. Each method says which Graph
 * call it makes; the HTTP side is the {@link GraphApiTransport}, paging and multi-ID reads are in
 * graph-api.paging.ts, the reading of answers in graph-api.payloads.ts and the send path in graph-api.send.ts.
 */
@Injectable()
export class GraphApiMetaGateway extends MetaGateway implements OnModuleDestroy {
  private readonly logger = new Logger(GraphApiMetaGateway.name);
  private readonly meta: MetaConfig;
  private readonly http: GraphHttpClient;
  private readonly transport: GraphApiTransport;

  constructor(
    configService: ConfigService<AllConfig, true>,
    private readonly throttles: MetaThrottleRegistry,
    // Metrics, when the metrics module is loaded; the gateway behaves the same without.
    @Optional() observer?: MetaCallObserver,
  ) {
    super();
    this.meta = configService.get('meta', { infer: true });
    this.http = new GraphHttpClient(new URL(this.meta.graphApiBaseUrl).origin, this.meta.requestTimeoutMs);
    this.transport = new GraphApiTransport(this.http, this.meta, throttles, this.logger, observer);
  }

  /** Closes the connections kept alive to Graph. */
  async onModuleDestroy(): Promise<void> {
    await this.http.close();
  }

  /**
   * `GET /oauth/access_token?client_id&client_secret&code` (§2.4). Meta's exchange takes the app
   * credentials as query parameters; they are redacted from every log line and message. Never retried: a
   * code is single-use and a repeat would only fail with "code has been used".
   * Throws INVALID_REQUEST (100: used, expired or invalid code), AUTH_INVALID (101/190: app credentials),
   * TRANSIENT (5xx, timeout, unreadable answer), RATE_LIMITED, UNKNOWN.
   */
  async exchangeCode(code: string): Promise<ExchangedToken> {
    const body = await this.transport.call<GraphOAuthAccessToken>({
      method: 'GET',
      url: '/oauth/access_token',
      params: { client_id: this.meta.appId, client_secret: this.meta.appSecret, code },
      token: null,
      retry: false,
      secrets: [this.meta.appSecret, code],
    });
    return this.transport.readable(toExchangedToken(body), 'GET /oauth/access_token');
  }

  /**
   * `GET /debug_token?input_token=` authenticated with the app access token `APP_ID|APP_SECRET` (§2.5).
   * Reads `is_valid`, `app_id`, `expires_at` (0 = never → null), `scopes`, and the WABAs of the
   * `whatsapp_business_management` granular scope in Meta's order (newest first). An invalid input token
   * is `isValid: false` with Meta's `data.error`, not a throw.
   * Throws AUTH_INVALID (app credentials rejected), RATE_LIMITED, TRANSIENT, UNKNOWN.
   */
  async inspectToken(inputToken: string): Promise<TokenInspection> {
    const body = await this.transport.call<GraphDebugTokenResponse>({
      method: 'GET',
      url: '/debug_token',
      params: { input_token: inputToken },
      token: `${this.meta.appId}|${this.meta.appSecret}`,
      retry: true,
      secrets: [inputToken, this.meta.appSecret],
    });
    return this.transport.readable(toTokenInspection(body, inputToken), 'GET /debug_token');
  }

  /**
   * `GET /{waba-id}?fields=id,name,status,currency,timezone_id,country,account_review_status,
   * business_verification_status,ownership_type,owner_business_info,marketing_messages_onboarding_status,
   * health_status` (§3.1). Retried on TRANSIENT/RATE_LIMITED.
   * Throws NOT_FOUND (100/33, 404), AUTH_INVALID, PERMISSION_DENIED, RATE_LIMITED (80007/80008/4),
   * TRANSIENT, ACCOUNT_RESTRICTED, INVALID_REQUEST, UNKNOWN.
   */
  async getWaba(wabaId: string, token: string): Promise<WabaSnapshot> {
    const body = await this.transport.call<GraphWaba>({
      method: 'GET',
      url: `/${graphId(wabaId)}`,
      params: { fields: META_WABA_FIELDS },
      token,
      retry: true,
      businessObjectId: wabaId,
    });
    return this.transport.readable(toWabaSnapshot(body, wabaId), `GET /${wabaId}`);
  }

  /**
   * `GET /?ids=<≤50 ids>&fields=<WABA fields>` per chunk of {@link META_MULTI_ID_CHUNK_SIZE} (§1.9).
   * Chunks run one after the other; a failed chunk puts its IDs in `failed` with the mapped exception and
   * the others still count. An ID missing from an answer is failed with NOT_FOUND. `calls` counts HTTP
   * requests, retries included. Throws only for a bad argument (INVALID_REQUEST).
   */
  getWabas(wabaIds: string[], token: string): Promise<MultiReadResult<WabaSnapshot>> {
    return readByIds(this.transport, wabaIds, token, META_WABA_FIELDS, (raw, id) =>
      this.transport.readable(toWabaSnapshot(raw, id), 'GET /?ids'),
    );
  }

  /**
   * `GET /{waba-id}/phone_numbers?fields=<phone fields>&limit=100`, then every `paging.next` until it is
   * absent (or `paging` is missing) (§1.7, §4.1). Each number appears once even if pages overlap.
   * Same error classes as getWaba; a failure on any page fails the whole list.
   */
  async listPhoneNumbers(wabaId: string, token: string): Promise<PhoneNumberSnapshot[]> {
    const numbers = new Map<string, PhoneNumberSnapshot>();
    const operation = `GET /${wabaId}/phone_numbers`;
    await readAllPages<GraphPhoneNumber>(
      this.transport,
      {
        url: `/${graphId(wabaId)}/phone_numbers`,
        params: { fields: META_PHONE_NUMBER_FIELDS, limit: String(META_LIST_PAGE_SIZE) },
        token,
        businessObjectId: wabaId,
      },
      operation,
      (raw) => {
        const snapshot = this.transport.readable(toPhoneNumberSnapshot(raw, null), operation);
        numbers.set(snapshot.id, snapshot);
      },
    );
    return [...numbers.values()];
  }

  /**
   * `GET /{phone-number-id}?fields=id,display_phone_number,verified_name,quality_rating,status,name_status,
   * code_verification_status,platform_type,throughput,messaging_limit_tier,health_status` (§4.2, §4.3).
   * Same error classes as getWaba (plus NOT_FOUND for code 33, number deleted).
   */
  async getPhoneNumber(phoneNumberId: string, token: string): Promise<PhoneNumberSnapshot> {
    const body = await this.transport.call<GraphPhoneNumber>({
      method: 'GET',
      url: `/${graphId(phoneNumberId)}`,
      params: { fields: META_PHONE_NUMBER_FIELDS },
      token,
      retry: true,
      businessObjectId: phoneNumberId,
    });
    return this.transport.readable(toPhoneNumberSnapshot(body, phoneNumberId), `GET /${phoneNumberId}`);
  }

  /** `GET /?ids=<≤50 ids>&fields=<phone fields>` per chunk; per-chunk failures as in getWabas. */
  getPhoneNumbers(phoneNumberIds: string[], token: string): Promise<MultiReadResult<PhoneNumberSnapshot>> {
    return readByIds(this.transport, phoneNumberIds, token, META_PHONE_NUMBER_FIELDS, (raw, id) =>
      this.transport.readable(toPhoneNumberSnapshot(raw, id), 'GET /?ids'),
    );
  }

  /**
   * `GET /{waba-id}/message_templates?fields=id,name,language,status,category,previous_category,
   * correct_category,rejected_reason,quality_score&limit=100`, then every `paging.next` to the end
   * (graph-api-2026.md §A.1.1). Retried on TRANSIENT/RATE_LIMITED; counted in the WABA's BUC.
   * Same error classes as getWaba; a failure on any page fails the whole list.
   */
  async listMessageTemplates(wabaId: string, token: string): Promise<TemplateSnapshot[]> {
    return (await listTemplates(this.transport, wabaId, token)).templates;
  }

  /**
   * `GET /?ids=<≤50 WABAs>&fields=message_templates.limit(100){<template fields>}` per chunk (REF §1.8,
   * §1.9); a WABA whose nested page is full is listed alone to the end. Per-WABA failures land in `failed`.
   */
  readTemplatesOfWabas(wabaIds: string[], token: string): Promise<TemplatesReadResult> {
    return readTemplatesOfWabas(this.transport, wabaIds, token);
  }

  /**
   * `POST /{waba-id}/subscribed_apps` (§2.6) → `{"success": true}`. Never retried.
   * Throws AUTH_INVALID, PERMISSION_DENIED, NOT_FOUND, RATE_LIMITED, TRANSIENT (also when the call timed
   * out: the subscription may or may not exist; subscribing again is harmless), UNKNOWN (`success: false`).
   */
  async subscribeApp(wabaId: string, token: string): Promise<void> {
    const body = await this.transport.call<GraphSuccessResponse>({
      method: 'POST',
      url: `/${graphId(wabaId)}/subscribed_apps`,
      token,
      retry: false,
      businessObjectId: wabaId,
    });
    this.requireSuccess(body, `POST /${wabaId}/subscribed_apps`);
  }

  /**
   * `GET /{waba-id}/subscribed_apps` (graph-api-2026.md §A.8) → `{"data":[{"whatsapp_business_api_data":
   * {"id","link","name"},"override_callback_uri"?}]}`, `{"data":[]}` when no app is subscribed; a `paging`
   * block is followed to its end (Meta may send one, §A.8 "tolerate"). Retried on TRANSIENT/RATE_LIMITED.
   * Throws as getWaba, and TRANSIENT (unreadable) for an entry without an app id.
   */
  async getSubscribedApps(wabaId: string, token: string): Promise<SubscribedApp[]> {
    const operation = `GET /${wabaId}/subscribed_apps`;
    const apps: SubscribedApp[] = [];
    await readAllPages<GraphSubscribedApp>(
      this.transport,
      { url: `/${graphId(wabaId)}/subscribed_apps`, params: {}, token, businessObjectId: wabaId },
      operation,
      (raw) => {
        apps.push(this.transport.readable(toSubscribedApp(raw), operation));
      },
    );
    return apps;
  }

  /**
   * `POST /{phone-number-id}/register` `{"messaging_product":"whatsapp","pin":"<6 digits>"}` (§2.8) →
   * `{"success": true}`. Never retried (register/deregister are limited to 10 per 72 h); the PIN is never
   * logged. Throws INVALID_REQUEST (133005 wrong PIN, 133006–133015, 100), ACCOUNT_RESTRICTED (131031),
   * RATE_LIMITED (133016), TRANSIENT (133004, 5xx, timeout), AUTH_INVALID, PERMISSION_DENIED, UNKNOWN.
   */
  async registerPhoneNumber(phoneNumberId: string, pin: string, token: string): Promise<void> {
    const body = await this.transport.call<GraphSuccessResponse>({
      method: 'POST',
      url: `/${graphId(phoneNumberId)}/register`,
      data: { messaging_product: 'whatsapp', pin },
      token,
      retry: false,
      businessObjectId: phoneNumberId,
      secrets: [pin],
    });
    this.requireSuccess(body, `POST /${phoneNumberId}/register`);
  }

  /**
   * `GET /{business-id}?fields=marketing_messages_onboarding_status` (§5.2) → `{status, time}`; null when
   * Meta has no status for the portfolio (field absent). Same error classes as getWaba.
   */
  async getBusinessTermsStatus(businessId: string, token: string): Promise<MmLiteTermsStatus | null> {
    const body = await this.transport.call<GraphBusiness>({
      method: 'GET',
      url: `/${graphId(businessId)}`,
      params: { fields: META_BUSINESS_TERMS_FIELDS },
      token,
      retry: true,
      businessObjectId: businessId,
    });
    return toTermsStatus(body.marketing_messages_onboarding_status);
  }

  /**
   * `POST /{phone-number-id}/messages` with `{messaging_product:"whatsapp", recipient_type:"individual", to |
   * recipient, type:"template", template:{name, language:{code}, components?}}` (Cloud API) → `messages[0].id`;
   * `to` for a phone number, `recipient` for a BSUID (graph-api-2026 §A.6), never both.
   * Never retried: a repeat could deliver twice. Throws RATE_LIMITED (130429, 131056, 131048, 131064),
   * ACCOUNT_RESTRICTED (368, 131031, 130497, 131042), INVALID_REQUEST (100, 131008, 131009, 131026, 131049,
   * 131050, 131061, 131062, 131063, 132xxx…), AUTH_INVALID, PERMISSION_DENIED, UNKNOWN; OUTCOME_UNKNOWN when
   * the POST may have reached Meta but no usable answer came back (timeout, reset, unreadable 2xx, 5xx page
   * without a Graph error); TRANSIENT only when nothing can have happened at Meta (a transient Graph error
   * answer, a connection refused or a DNS failure). `callbackData` is sent as `biz_opaque_callback_data`.
   */
  sendTemplateMessage(
    phoneNumberId: string,
    recipient: MessageRecipient,
    template: TemplateMessage,
    token: string,
    callbackData?: string,
  ): Promise<SentMessage> {
    return sendTemplate(this.transport, 'messages', phoneNumberId, recipient, template, token, callbackData);
  }

  /**
   * `POST /{phone-number-id}/marketing_messages` with the same template body (MM Lite, §5.5) →
   * `messages[0].id`. Never retried. Errors as sendTemplateMessage plus INVALID_REQUEST 131055, 134100,
   * 134101 (retryAfterSeconds 600: template still syncing), 134102, 134103; 131062 also for a template with
   * a max price (`optimization_spec`) sent to a BSUID.
   */
  sendMarketingMessage(
    phoneNumberId: string,
    recipient: MessageRecipient,
    template: TemplateMessage,
    token: string,
  ): Promise<SentMessage> {
    return sendTemplate(this.transport, 'marketing_messages', phoneNumberId, recipient, template, token);
  }

  /**
   * Until when Meta throttles calls for this business object (from X-Business-Use-Case-Usage ≥ 90 % or
   * `estimated_time_to_regain_access` > 0, from 800xx errors for it, and app-wide from X-App-Usage ≥ 90 %
   * or code 4); null when not throttled. The gateway itself does not refuse calls: callers decide.
   */
  throttledUntil(businessObjectId: string): Date | null {
    return this.throttles.throttledUntil(businessObjectId);
  }

  private requireSuccess(body: GraphSuccessResponse, operation: string): void {
    if (body.success !== true) {
      throw new MetaGatewayException(MetaGatewayErrorCode.UNKNOWN, `${operation} answered without success`, {
        httpStatus: 200,
      });
    }
  }
}
