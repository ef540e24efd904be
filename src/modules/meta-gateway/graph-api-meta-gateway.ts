import { HttpService } from '@nestjs/axios';
import { Injectable, Logger, Optional } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AxiosRequestConfig, AxiosResponse } from 'axios';
import { firstValueFrom } from 'rxjs';

import type { AllConfig } from 'config/config.type';
import type { MetaConfig } from 'config/meta.config';

import type {
  GraphBusiness,
  GraphBusinessTermsStatus,
  GraphDebugTokenResponse,
  GraphHealthStatus,
  GraphListResponse,
  GraphOAuthAccessToken,
  GraphPhoneNumber,
  GraphSendMessageResponse,
  GraphSuccessResponse,
  GraphTemplateSendRequest,
  GraphWaba,
} from './graph-api.types';
import {
  isBusinessUseCaseThrottleCode,
  isOutcomeUnknown,
  mapGraphApiError,
  mapGraphApiResponse,
  readHeader,
  toOutcomeUnknown,
} from './map-graph-api-error';
import { endpointTemplate, MetaCallObserver } from './meta-call-observer';
import { MetaGateway } from './meta-gateway';
import {
  META_BUSINESS_TERMS_FIELDS,
  META_LIST_PAGE_SIZE,
  META_MAX_HONOURED_RETRY_AFTER_SECONDS,
  META_MAX_PAGES,
  META_MAX_REQUEST_BYTES,
  META_MAX_RESPONSE_BYTES,
  META_MULTI_ID_CHUNK_SIZE,
  META_PHONE_NUMBER_FIELDS,
  META_RETRY_BASE_DELAY_MS,
  META_RETRY_MAX_DELAY_MS,
  META_WABA_FIELDS,
} from './meta-gateway.constants';
import { MetaGatewayErrorCode, MetaGatewayException } from './meta-gateway.exception';
import type {
  ExchangedToken,
  HealthStatus,
  MmLiteTermsStatus,
  MultiReadResult,
  PhoneNumberSnapshot,
  SentMessage,
  TemplateMessage,
  TokenInspection,
  WabaSnapshot,
} from './meta-gateway.types';
import { MetaThrottleRegistry } from './meta-throttle.registry';
import { pathWithoutQuery, redactText } from './redact';
import {
  APP_USAGE_HEADER,
  BUSINESS_USE_CASE_USAGE_HEADER,
  parseAppUsage,
  parseBusinessUseCaseUsage,
} from './usage-headers';

type HttpMethod = 'GET' | 'POST';

/** One Graph call as the gateway describes it to {@link GraphApiMetaGateway.call}. */
interface GraphCall {
  method: HttpMethod;
  /** Path relative to the versioned base URL (`/123/phone_numbers`), or an absolute `paging.next` URL. */
  url: string;
  params?: Record<string, string>;
  data?: unknown;
  /** Bearer credential; null for the code exchange, which authenticates with query parameters. */
  token: string | null;
  /** Only idempotent reads may be repeated. */
  retry: boolean;
  /**
   * The call delivers a message: never repeated whatever `retry` says, and a failure that may come after
   * Meta acted (see isOutcomeUnknown) is OUTCOME_UNKNOWN, not TRANSIENT.
   */
  delivers?: boolean;
  /** The WABA/phone/business the call is about: its usage entry and its throttle. */
  businessObjectId?: string;
  /** Values to scrub from anything logged or thrown besides the token (client_secret, code, input_token). */
  secrets?: string[];
  /** Counts each HTTP request made, retries included. */
  onRequest?: () => void;
}

/**
 * The Graph API implementation of {@link MetaGateway}: the only code that speaks HTTP to Meta.
 * Authenticates with `Authorization: Bearer`, abandons a call after `meta.requestTimeoutMs`, retries only
 * idempotent reads on TRANSIENT/RATE_LIMITED, reads the usage headers of every answer into the
 * {@link MetaThrottleRegistry}, and never logs a token or a query string.
 */
@Injectable()
export class GraphApiMetaGateway extends MetaGateway {
  private readonly logger = new Logger(GraphApiMetaGateway.name);
  private readonly meta: MetaConfig;

  constructor(
    private readonly httpService: HttpService,
    configService: ConfigService<AllConfig, true>,
    private readonly throttles: MetaThrottleRegistry,
    // Metrics, when the metrics module is loaded; the gateway behaves the same without.
    @Optional() private readonly observer?: MetaCallObserver,
  ) {
    super();
    this.meta = configService.get('meta', { infer: true });
  }

  /**
   * `GET /oauth/access_token?client_id&client_secret&code` (§2.4). Meta's exchange takes the app
   * credentials as query parameters; they are redacted from every log line and message. Never retried: a
   * code is single-use and a repeat would only fail with "code has been used".
   * Throws INVALID_REQUEST (100: used, expired or invalid code), AUTH_INVALID (101/190: app credentials),
   * TRANSIENT (5xx, timeout, unreadable answer), RATE_LIMITED, UNKNOWN.
   */
  async exchangeCode(code: string): Promise<ExchangedToken> {
    const body = await this.call<GraphOAuthAccessToken>({
      method: 'GET',
      url: '/oauth/access_token',
      params: { client_id: this.meta.appId, client_secret: this.meta.appSecret, code },
      token: null,
      retry: false,
      secrets: [this.meta.appSecret, code],
    });
    if (typeof body.access_token !== 'string' || body.access_token === '') {
      throw this.unreadable('GET /oauth/access_token');
    }
    return { accessToken: body.access_token, expiresInSeconds: toPositiveNumber(body.expires_in) };
  }

  /**
   * `GET /debug_token?input_token=` authenticated with the app access token `APP_ID|APP_SECRET` (§2.5).
   * Reads `is_valid`, `app_id`, `expires_at` (0 = never → null), `scopes`, and the WABAs of the
   * `whatsapp_business_management` granular scope in Meta's order (newest first). An invalid input token
   * is `isValid: false` with Meta's `data.error`, not a throw.
   * Throws AUTH_INVALID (app credentials rejected), RATE_LIMITED, TRANSIENT, UNKNOWN.
   */
  async inspectToken(inputToken: string): Promise<TokenInspection> {
    const body = await this.call<GraphDebugTokenResponse>({
      method: 'GET',
      url: '/debug_token',
      params: { input_token: inputToken },
      token: `${this.meta.appId}|${this.meta.appSecret}`,
      retry: true,
      secrets: [inputToken, this.meta.appSecret],
    });
    const data = body.data;
    if (!isObject(data)) {
      throw this.unreadable('GET /debug_token');
    }
    const management = Array.isArray(data.granular_scopes)
      ? data.granular_scopes.find((scope) => isObject(scope) && scope.scope === 'whatsapp_business_management')
      : undefined;
    const expiresAt = toPositiveNumber(data.expires_at);
    const error = isObject(data.error) ? data.error : null;
    return {
      isValid: data.is_valid === true,
      appId: toStringOrNull(data.app_id),
      expiresAt: expiresAt === null ? null : new Date(expiresAt * 1000),
      scopes: Array.isArray(data.scopes) ? data.scopes.filter(isString) : [],
      grantedWabaIds: Array.isArray(management?.target_ids) ? management.target_ids.map(String) : [],
      error: error
        ? {
            code: toIntegerOrNull(error.code),
            subcode: toIntegerOrNull(error.subcode),
            message: redactText(typeof error.message === 'string' ? error.message : '', [inputToken]),
          }
        : null,
    };
  }

  /**
   * `GET /{waba-id}?fields=id,name,status,currency,timezone_id,country,account_review_status,
   * business_verification_status,ownership_type,owner_business_info,marketing_messages_onboarding_status,
   * health_status` (§3.1). Retried on TRANSIENT/RATE_LIMITED.
   * Throws NOT_FOUND (100/33, 404), AUTH_INVALID, PERMISSION_DENIED, RATE_LIMITED (80007/80008/4),
   * TRANSIENT, ACCOUNT_RESTRICTED, INVALID_REQUEST, UNKNOWN.
   */
  async getWaba(wabaId: string, token: string): Promise<WabaSnapshot> {
    const body = await this.call<GraphWaba>({
      method: 'GET',
      url: `/${graphId(wabaId)}`,
      params: { fields: META_WABA_FIELDS },
      token,
      retry: true,
      businessObjectId: wabaId,
    });
    return this.toWabaSnapshot(body, wabaId, `GET /${wabaId}`);
  }

  /**
   * `GET /?ids=<≤50 ids>&fields=<WABA fields>` per chunk of {@link META_MULTI_ID_CHUNK_SIZE} (§1.9).
   * Chunks run one after the other; a failed chunk puts its IDs in `failed` with the mapped exception and
   * the others still count. An ID missing from an answer is failed with NOT_FOUND. `calls` counts HTTP
   * requests, retries included. Throws only for a bad argument (INVALID_REQUEST).
   */
  getWabas(wabaIds: string[], token: string): Promise<MultiReadResult<WabaSnapshot>> {
    return this.readMany(wabaIds, token, META_WABA_FIELDS, (raw, id) => this.toWabaSnapshot(raw, id, 'GET /?ids'));
  }

  /**
   * `GET /{waba-id}/phone_numbers?fields=<phone fields>&limit=100`, then every `paging.next` until it is
   * absent (or `paging` is missing) (§1.7, §4.1). Each number appears once even if pages overlap.
   * Same error classes as getWaba; a failure on any page fails the whole list.
   */
  async listPhoneNumbers(wabaId: string, token: string): Promise<PhoneNumberSnapshot[]> {
    const numbers = new Map<string, PhoneNumberSnapshot>();
    let url: string | undefined = `/${graphId(wabaId)}/phone_numbers`;
    let params: Record<string, string> | undefined = {
      fields: META_PHONE_NUMBER_FIELDS,
      limit: String(META_LIST_PAGE_SIZE),
    };
    const seen = new Set<string>();
    for (let page = 0; url !== undefined; page += 1) {
      if (page >= META_MAX_PAGES || seen.has(url)) {
        // A cursor that loops would otherwise spin forever against our rate limit.
        throw new MetaGatewayException(MetaGatewayErrorCode.UNKNOWN, 'Graph API paging did not terminate', {
          httpStatus: null,
        });
      }
      seen.add(url);
      const body: GraphListResponse<GraphPhoneNumber> = await this.call<GraphListResponse<GraphPhoneNumber>>({
        method: 'GET',
        url,
        params,
        token,
        retry: true,
        businessObjectId: wabaId,
      });
      if (body.data !== undefined && !Array.isArray(body.data)) {
        throw this.unreadable(`GET /${wabaId}/phone_numbers`);
      }
      for (const raw of body.data ?? []) {
        const snapshot = this.toPhoneNumberSnapshot(raw, null, `GET /${wabaId}/phone_numbers`);
        numbers.set(snapshot.id, snapshot);
      }
      const next: unknown = isObject(body.paging) ? body.paging.next : undefined;
      url = typeof next === 'string' && next !== '' ? next : undefined;
      // `next` already carries fields, limit and the cursor.
      params = undefined;
    }
    return [...numbers.values()];
  }

  /**
   * `GET /{phone-number-id}?fields=id,display_phone_number,verified_name,quality_rating,status,name_status,
   * code_verification_status,platform_type,throughput,messaging_limit_tier,health_status` (§4.2, §4.3).
   * Same error classes as getWaba (plus NOT_FOUND for code 33, number deleted).
   */
  async getPhoneNumber(phoneNumberId: string, token: string): Promise<PhoneNumberSnapshot> {
    const body = await this.call<GraphPhoneNumber>({
      method: 'GET',
      url: `/${graphId(phoneNumberId)}`,
      params: { fields: META_PHONE_NUMBER_FIELDS },
      token,
      retry: true,
      businessObjectId: phoneNumberId,
    });
    return this.toPhoneNumberSnapshot(body, phoneNumberId, `GET /${phoneNumberId}`);
  }

  /** `GET /?ids=<≤50 ids>&fields=<phone fields>` per chunk; per-chunk failures as in getWabas. */
  getPhoneNumbers(phoneNumberIds: string[], token: string): Promise<MultiReadResult<PhoneNumberSnapshot>> {
    return this.readMany(phoneNumberIds, token, META_PHONE_NUMBER_FIELDS, (raw, id) =>
      this.toPhoneNumberSnapshot(raw, id, 'GET /?ids'),
    );
  }

  /**
   * `POST /{waba-id}/subscribed_apps` (§2.6) → `{"success": true}`. Never retried.
   * Throws AUTH_INVALID, PERMISSION_DENIED, NOT_FOUND, RATE_LIMITED, TRANSIENT (also when the call timed
   * out: the subscription may or may not exist; subscribing again is harmless), UNKNOWN (`success: false`).
   */
  async subscribeApp(wabaId: string, token: string): Promise<void> {
    const body = await this.call<GraphSuccessResponse>({
      method: 'POST',
      url: `/${graphId(wabaId)}/subscribed_apps`,
      token,
      retry: false,
      businessObjectId: wabaId,
    });
    this.requireSuccess(body, `POST /${wabaId}/subscribed_apps`);
  }

  /**
   * `POST /{phone-number-id}/register` `{"messaging_product":"whatsapp","pin":"<6 digits>"}` (§2.8) →
   * `{"success": true}`. Never retried (register/deregister are limited to 10 per 72 h); the PIN is never
   * logged. Throws INVALID_REQUEST (133005 wrong PIN, 133006–133015, 100), ACCOUNT_RESTRICTED (131031),
   * RATE_LIMITED (133016), TRANSIENT (133004, 5xx, timeout), AUTH_INVALID, PERMISSION_DENIED, UNKNOWN.
   */
  async registerPhoneNumber(phoneNumberId: string, pin: string, token: string): Promise<void> {
    const body = await this.call<GraphSuccessResponse>({
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
    const body = await this.call<GraphBusiness>({
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
   * `POST /{phone-number-id}/messages` with `{messaging_product:"whatsapp", recipient_type:"individual", to,
   * type:"template", template:{name, language:{code}, components?}}` (Cloud API) → `messages[0].id`.
   * Never retried: a repeat could deliver twice. Throws RATE_LIMITED (130429, 131056, 131048),
   * ACCOUNT_RESTRICTED (368, 131031, 130497, 131042), INVALID_REQUEST (100, 131008, 131009, 131026, 131049,
   * 131050, 131063, 132xxx…), AUTH_INVALID, PERMISSION_DENIED, UNKNOWN; OUTCOME_UNKNOWN when the POST may
   * have reached Meta but no usable answer came back (timeout, reset, unreadable 2xx, 5xx page without a
   * Graph error); TRANSIENT only when nothing can have happened at Meta (a transient Graph error answer, a
   * connection refused or a DNS failure).
   */
  sendTemplateMessage(
    phoneNumberId: string,
    to: string,
    template: TemplateMessage,
    token: string,
  ): Promise<SentMessage> {
    return this.send('messages', phoneNumberId, to, template, token);
  }

  /**
   * `POST /{phone-number-id}/marketing_messages` with the same template body (MM Lite, §5.5) →
   * `messages[0].id`. Never retried. Errors as sendTemplateMessage plus INVALID_REQUEST 131055, 131062,
   * 134100, 134101 (retryAfterSeconds 600: template still syncing), 134102.
   */
  sendMarketingMessage(
    phoneNumberId: string,
    to: string,
    template: TemplateMessage,
    token: string,
  ): Promise<SentMessage> {
    return this.send('marketing_messages', phoneNumberId, to, template, token);
  }

  /**
   * Until when Meta throttles calls for this business object (from X-Business-Use-Case-Usage ≥ 90 % or
   * `estimated_time_to_regain_access` > 0, from 800xx errors for it, and app-wide from X-App-Usage ≥ 90 %
   * or code 4); null when not throttled. The gateway itself does not refuse calls: callers decide.
   */
  throttledUntil(businessObjectId: string): Date | null {
    return this.throttles.throttledUntil(businessObjectId);
  }

  private async send(
    edge: 'messages' | 'marketing_messages',
    phoneNumberId: string,
    to: string,
    template: TemplateMessage,
    token: string,
  ): Promise<SentMessage> {
    const data: GraphTemplateSendRequest = {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to,
      type: 'template',
      template: {
        name: template.name,
        language: { code: template.language },
        ...(template.components === undefined ? {} : { components: template.components }),
      },
    };
    const body = await this.call<GraphSendMessageResponse>({
      method: 'POST',
      url: `/${graphId(phoneNumberId)}/${edge}`,
      data,
      token,
      retry: false,
      delivers: true,
      businessObjectId: phoneNumberId,
    });
    const messageId = Array.isArray(body.messages) && isObject(body.messages[0]) ? body.messages[0].id : undefined;
    if (typeof messageId !== 'string' || messageId === '') {
      // A 2xx without a message id: Meta answered, but whether it took the message cannot be read from it.
      throw this.unreadable(`POST /${phoneNumberId}/${edge}`, MetaGatewayErrorCode.OUTCOME_UNKNOWN);
    }
    return { messageId };
  }

  private async readMany<T>(
    ids: string[],
    token: string,
    fields: string,
    toSnapshot: (raw: unknown, id: string) => T,
  ): Promise<MultiReadResult<T>> {
    const unique = [...new Set(ids.map((id) => graphId(id)))];
    const result: MultiReadResult<T> = { found: new Map(), failed: new Map(), calls: 0 };
    for (let start = 0; start < unique.length; start += META_MULTI_ID_CHUNK_SIZE) {
      const chunk = unique.slice(start, start + META_MULTI_ID_CHUNK_SIZE);
      try {
        const body = await this.call<Record<string, unknown>>({
          method: 'GET',
          url: '/',
          params: { ids: chunk.join(','), fields },
          token,
          retry: true,
          onRequest: () => {
            result.calls += 1;
          },
        });
        for (const id of chunk) {
          if (!(id in body)) {
            result.failed.set(
              id,
              new MetaGatewayException(MetaGatewayErrorCode.NOT_FOUND, `Graph API returned no object for ${id}`, {
                httpStatus: 200,
              }),
            );
            continue;
          }
          try {
            result.found.set(id, toSnapshot(body[id], id));
          } catch (error) {
            result.failed.set(id, mapGraphApiError(error));
          }
        }
      } catch (error) {
        const exception = mapGraphApiError(error);
        for (const id of chunk) {
          result.failed.set(id, exception);
        }
      }
    }
    return result;
  }

  /**
   * One logical Graph call: HTTP attempts with back-off for retryable reads, usage headers recorded on
   * every answer, errors mapped, one debug line per attempt and one warn per mapped failure.
   */
  private async call<T>(call: GraphCall): Promise<T> {
    const maxAttempts = call.retry && !call.delivers ? this.meta.maxRetries + 1 : 1;
    const logPath = this.logPath(call.url);
    const secrets = [call.token, this.meta.appSecret, ...(call.secrets ?? [])];
    for (let attempt = 1; ; attempt += 1) {
      const startedAt = Date.now();
      let exception: MetaGatewayException;
      let thrown: unknown;
      try {
        call.onRequest?.();
        const response = await firstValueFrom(this.httpService.request<unknown>(this.requestConfig(call)));
        this.logger.debug(`${call.method} ${logPath} ${response.status} ${Date.now() - startedAt}ms`);
        this.recordUsage(response.headers);
        if (isObject(response.data)) {
          this.observe(call, logPath, 'ok', startedAt);
          return response.data as T;
        }
        // 2xx with a body that is not a JSON object: Meta (or something in between) answered garbage.
        exception = mapGraphApiResponse(response.status, response.headers, response.data, { secrets });
      } catch (error) {
        thrown = error;
        exception = mapGraphApiError(error, { businessObjectId: call.businessObjectId, secrets });
        this.logger.debug(
          `${call.method} ${logPath} ${exception.httpStatus ?? 'no response'} ${Date.now() - startedAt}ms`,
        );
        this.recordUsage(errorHeaders(error));
        this.recordThrottle(exception, call.businessObjectId);
      }
      if (call.delivers && isOutcomeUnknown(thrown, exception)) {
        // "Try again" would be wrong here: Meta may have sent the message, and a repeat could deliver it twice.
        exception = toOutcomeUnknown(exception);
      }
      this.observe(call, logPath, exception.code, startedAt);

      const retryDelayMs = attempt < maxAttempts ? this.retryDelayMs(exception, attempt) : null;
      this.logger.warn(
        `${call.method} ${logPath} failed: code=${exception.code} metaCode=${exception.metaCode ?? '-'} ` +
          `fbtraceId=${exception.details.fbtraceId ?? '-'} attempt=${attempt}/${maxAttempts}` +
          (exception.details.responseTooLarge ? ` answer over ${META_MAX_RESPONSE_BYTES} bytes refused` : '') +
          (retryDelayMs === null ? '' : ` retryInMs=${retryDelayMs}`),
      );
      if (retryDelayMs === null) {
        throw exception;
      }
      if (exception.code === MetaGatewayErrorCode.RATE_LIMITED) {
        this.observer?.recordBackoff({ kind: 'retry', reason: exception.code, delayMs: retryDelayMs });
      }
      await sleep(retryDelayMs);
    }
  }

  private requestConfig(call: GraphCall): AxiosRequestConfig {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (call.token !== null) {
      headers.Authorization = `Bearer ${call.token}`;
    }
    if (call.data !== undefined) {
      headers['Content-Type'] = 'application/json';
    }
    return {
      method: call.method,
      url: this.sameOriginUrl(call.url),
      params: call.params,
      data: call.data,
      headers,
      timeout: this.meta.requestTimeoutMs,
      // axios' `timeout` resets on socket activity; this bounds the whole call, body included.
      signal: AbortSignal.timeout(this.meta.requestTimeoutMs),
      // Error statuses are mapped by us, with their body and headers.
      validateStatus: (status) => status >= 200 && status < 300,
      maxRedirects: 0,
      // Bounded answers: axios otherwise buffers whatever arrives (counted after decompression).
      maxContentLength: META_MAX_RESPONSE_BYTES,
      maxBodyLength: META_MAX_REQUEST_BYTES,
    };
  }

  /**
   * `paging.next` is a full URL. It is requested on the configured Graph origin whatever host it names,
   * so the bearer token never travels anywhere else, and without any `access_token` it might carry.
   */
  private sameOriginUrl(url: string): string {
    if (!/^https?:\/\//i.test(url)) {
      return url;
    }
    const next = new URL(url);
    next.searchParams.delete('access_token');
    const base = new URL(this.meta.graphApiBaseUrl);
    return `${base.origin}${next.pathname}${next.search}`;
  }

  private retryDelayMs(exception: MetaGatewayException, attempt: number): number | null {
    if (exception.code !== MetaGatewayErrorCode.TRANSIENT && exception.code !== MetaGatewayErrorCode.RATE_LIMITED) {
      return null;
    }
    const retryAfter = exception.details.retryAfterSeconds ?? null;
    if (retryAfter !== null && retryAfter > META_MAX_HONOURED_RETRY_AFTER_SECONDS) {
      // Meta asked for minutes: the caller's scheduler is the place to wait that long.
      return null;
    }
    // Full jitter (random between 0 and the exponential bound) spreads instances that failed together.
    const bound = Math.min(META_RETRY_MAX_DELAY_MS, META_RETRY_BASE_DELAY_MS * 2 ** (attempt - 1));
    const jittered = Math.floor(Math.random() * bound);
    return retryAfter === null ? jittered : retryAfter * 1000 + jittered;
  }

  private recordUsage(headers: unknown): void {
    if (headers === undefined) {
      return;
    }
    this.throttles.recordBusinessUseCaseUsage(
      parseBusinessUseCaseUsage(readHeader(headers, BUSINESS_USE_CASE_USAGE_HEADER)),
    );
    this.throttles.recordAppUsage(parseAppUsage(readHeader(headers, APP_USAGE_HEADER)));
  }

  private recordThrottle(exception: MetaGatewayException, businessObjectId: string | undefined): void {
    const retryAfterSeconds = exception.details.retryAfterSeconds ?? null;
    const delayMs = retryAfterSeconds === null ? null : retryAfterSeconds * 1000;
    if (isBusinessUseCaseThrottleCode(exception.metaCode) && businessObjectId) {
      this.throttles.pauseObject(businessObjectId, retryAfterSeconds);
      this.observer?.recordBackoff({ kind: 'object', reason: exception.code, delayMs });
    } else if (exception.metaCode === 4) {
      this.throttles.pauseApp(retryAfterSeconds);
      this.observer?.recordBackoff({ kind: 'app', reason: exception.code, delayMs });
    }
  }

  private observe(call: GraphCall, logPath: string, outcome: 'ok' | MetaGatewayErrorCode, startedAt: number): void {
    this.observer?.recordCall({
      method: call.method,
      endpoint: endpointTemplate(logPath, call.params?.ids !== undefined || /[?&]ids=/.test(call.url)),
      outcome,
      durationMs: Date.now() - startedAt,
    });
  }

  private requireSuccess(body: GraphSuccessResponse, operation: string): void {
    if (body.success !== true) {
      throw new MetaGatewayException(MetaGatewayErrorCode.UNKNOWN, `${operation} answered without success`, {
        httpStatus: 200,
      });
    }
  }

  private unreadable(
    operation: string,
    code: MetaGatewayErrorCode = MetaGatewayErrorCode.TRANSIENT,
  ): MetaGatewayException {
    const exception = new MetaGatewayException(code, `${operation} answered an unreadable body`, { httpStatus: 200 });
    this.logger.warn(`${operation} failed: code=${exception.code} metaCode=- fbtraceId=-`);
    return exception;
  }

  private logPath(url: string): string {
    const path = pathWithoutQuery(url);
    return path.startsWith(`/${this.meta.graphApiVersion}/`) || /^\/v\d+\.\d+\//.test(path)
      ? path
      : `/${this.meta.graphApiVersion}${path}`;
  }

  private toWabaSnapshot(raw: unknown, expectedId: string, operation: string): WabaSnapshot {
    if (!isObject(raw)) {
      throw this.unreadable(operation);
    }
    const waba = raw as GraphWaba;
    // A partial answer must not read as "Meta cleared it": absent fields stay undefined (WabaSnapshot).
    const owner = isObject(waba.owner_business_info) ? waba.owner_business_info : undefined;
    return {
      id: toStringOrNull(waba.id) ?? expectedId,
      name: readField(waba.name),
      status: readField(waba.status),
      currency: readField(waba.currency),
      timezoneId: readField(waba.timezone_id),
      country: readField(waba.country),
      accountReviewStatus: readField(waba.account_review_status),
      businessVerificationStatus: readField(waba.business_verification_status),
      ownershipType: readField(waba.ownership_type),
      ownerBusinessId: readField(owner?.id),
      ownerBusinessName: readField(owner?.name),
      marketingMessagesOnboardingStatus: readField(waba.marketing_messages_onboarding_status),
      ownerBusinessTermsStatus: readTermsField(owner?.marketing_messages_onboarding_status),
      healthStatus: readHealthField(waba.health_status),
    };
  }

  private toPhoneNumberSnapshot(raw: unknown, expectedId: string | null, operation: string): PhoneNumberSnapshot {
    if (!isObject(raw)) {
      throw this.unreadable(operation);
    }
    const phone = raw as GraphPhoneNumber;
    const id = toStringOrNull(phone.id) ?? expectedId;
    if (id === null) {
      throw this.unreadable(operation);
    }
    return {
      id,
      displayPhoneNumber: readField(phone.display_phone_number),
      verifiedName: readField(phone.verified_name),
      qualityRating: readField(phone.quality_rating),
      status: readField(phone.status),
      nameStatus: readField(phone.name_status),
      codeVerificationStatus: readField(phone.code_verification_status),
      platformType: readField(phone.platform_type),
      throughputLevel: isObject(phone.throughput) ? readField(phone.throughput.level) : readField(phone.throughput),
      messagingLimitTier: readField(phone.messaging_limit_tier),
      healthStatus: readHealthField(phone.health_status),
    };
  }
}

/** Meta IDs are digit strings; anything else would be a path injection or a caller bug. */
function graphId(id: string): string {
  if (typeof id !== 'string' || !/^[0-9A-Za-z_.-]+$/.test(id)) {
    throw new MetaGatewayException(MetaGatewayErrorCode.INVALID_REQUEST, 'Invalid Graph object id', {
      httpStatus: null,
    });
  }
  return id;
}

function toTermsStatus(value: GraphBusinessTermsStatus | string | undefined | null): MmLiteTermsStatus | null {
  if (typeof value === 'string' && value !== '') {
    // Not documented as a bare string, but it costs nothing to accept one.
    return { status: value, time: null };
  }
  if (!isObject(value) || typeof value.status !== 'string' || value.status === '') {
    return null;
  }
  return { status: value.status, time: toStringOrNull(value.time) };
}

/**
 * A scalar field of a read (see WabaSnapshot): its text; null when Meta sent it empty (JSON null or "");
 * undefined when the answer does not carry it, or carries something that is not a scalar (unreadable).
 */
function readField(value: unknown): string | null | undefined {
  if (value === null || value === '') {
    return null;
  }
  return toStringOrNull(value) ?? undefined;
}

/** `owner_business_info.marketing_messages_onboarding_status` as a field of a read (see {@link readField}). */
function readTermsField(
  value: GraphBusinessTermsStatus | string | undefined | null,
): MmLiteTermsStatus | null | undefined {
  if (value === null) {
    return null;
  }
  return toTermsStatus(value) ?? undefined;
}

/** `health_status` as a field of a read (see {@link readField}). */
function readHealthField(value: GraphHealthStatus | undefined | null): HealthStatus | null | undefined {
  if (value === null) {
    return null;
  }
  return isObject(value) ? toHealthStatus(value) : undefined;
}

function toHealthStatus(value: GraphHealthStatus | undefined): HealthStatus | null {
  if (!isObject(value)) {
    return null;
  }
  const entities = Array.isArray(value.entities) ? value.entities.filter(isObject) : [];
  return {
    canSendMessage: toStringOrNull(value.can_send_message),
    entities: entities.map((entity) => ({
      entityType: toStringOrNull(entity.entity_type) ?? 'UNKNOWN',
      id: toStringOrNull(entity.id),
      canSendMessage: toStringOrNull(entity.can_send_message),
      errors: (Array.isArray(entity.errors) ? entity.errors.filter(isObject) : []).map((error) => ({
        errorCode: toIntegerOrNull(error.error_code),
        errorDescription: toStringOrNull(error.error_description),
        possibleSolution: toStringOrNull(error.possible_solution),
      })),
    })),
  };
}

function errorHeaders(error: unknown): unknown {
  if (typeof error === 'object' && error !== null && 'response' in error) {
    const response = (error as { response?: AxiosResponse }).response;
    return response?.headers;
  }
  return undefined;
}

function isObject<T>(value: T | null | undefined): value is T & object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

// IDs and enum values are strings in Graph, but numbers (tiers, ids) turn up; keep them as text.
function toStringOrNull(value: unknown): string | null {
  if (typeof value === 'string') {
    return value === '' ? null : value;
  }
  if (typeof value === 'number' && Number.isFinite(value)) {
    return String(value);
  }
  return null;
}

function toIntegerOrNull(value: unknown): number | null {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isInteger(number) ? number : null;
}

function toPositiveNumber(value: unknown): number | null {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) && number > 0 ? number : null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
