import type { Logger } from '@nestjs/common';

import type { MetaConfig } from 'config/meta.config';

import { isObject } from './graph-api.payloads';
import { GraphHttpError, type GraphHttpClient, type GraphHttpRequest } from './graph-http.client';
import {
  isBusinessUseCaseThrottleCode,
  isOutcomeUnknown,
  mapGraphApiError,
  mapGraphApiResponse,
  toOutcomeUnknown,
} from './map-graph-api-error';
import { endpointTemplate, type MetaCallObserver } from './meta-call-observer';
import {
  META_MAX_HONOURED_RETRY_AFTER_SECONDS,
  META_MAX_RESPONSE_BYTES,
  META_RETRY_BASE_DELAY_MS,
  META_RETRY_MAX_DELAY_MS,
} from './meta-gateway.constants';
import { MetaGatewayErrorCode, MetaGatewayException } from './meta-gateway.exception';
import type { MetaThrottleRegistry } from './meta-throttle.registry';
import { pathWithoutQuery } from './redact';
import {
  APP_USAGE_HEADER,
  BUSINESS_USE_CASE_USAGE_HEADER,
  parseAppUsage,
  parseBusinessUseCaseUsage,
  readHeader,
} from './usage-headers';

/** One Graph call as the gateway describes it to {@link GraphApiTransport.call}. */
export interface GraphCall {
  method: 'GET' | 'POST';
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
 * The HTTP side of the Graph gateway, within its bounds: bearer authentication, a deadline per attempt,
 * answers and request bodies capped in size, no redirects, `paging.next` kept on the configured origin,
 * retries with jittered back-off for idempotent reads only, the usage headers of every answer recorded
 * into the {@link MetaThrottleRegistry}, failures mapped to MetaGatewayException, and one debug line per
 * attempt and one warn per failure that never carry a token or a query string. Built by
 * GraphApiMetaGateway, whose logger it writes to.
 */
export class GraphApiTransport {
  /** The configured base URL's path with the version (`/v25.0`, or `/prefix/v25.0`): where relative paths go. */
  private readonly versionPath: string;

  constructor(
    private readonly client: GraphHttpClient,
    private readonly meta: MetaConfig,
    private readonly throttles: MetaThrottleRegistry,
    private readonly logger: Logger,
    private readonly observer?: MetaCallObserver,
  ) {
    this.versionPath = `${new URL(meta.graphApiBaseUrl).pathname.replace(/\/+$/, '')}/${meta.graphApiVersion}`;
  }

  /**
   * One logical Graph call: HTTP attempts with back-off for retryable reads, usage headers recorded on
   * every answer, errors mapped, one debug line per attempt and one warn per mapped failure. Resolves with
   * the answer's JSON object; throws only MetaGatewayException.
   */
  async call<T>(call: GraphCall): Promise<T> {
    const maxAttempts = call.retry && !call.delivers ? this.meta.maxRetries + 1 : 1;
    const logPath = this.logPath(call.url);
    const secrets = [call.token, this.meta.appSecret, ...(call.secrets ?? [])];
    for (let attempt = 1; ; attempt += 1) {
      const startedAt = Date.now();
      let exception: MetaGatewayException;
      let thrown: unknown;
      try {
        call.onRequest?.();
        const response = await this.client.send(this.request(call));
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

  /** `value`, or the failure of an answer that could not be read (TRANSIENT unless said), logged. */
  readable<T>(value: T | null, operation: string, code?: MetaGatewayErrorCode): T {
    if (value === null) {
      throw this.unreadable(operation, code);
    }
    return value;
  }

  /** The failure of an answer that came back but could not be read (TRANSIENT unless said), logged. */
  unreadable(operation: string, code: MetaGatewayErrorCode = MetaGatewayErrorCode.TRANSIENT): MetaGatewayException {
    const exception = new MetaGatewayException(code, `${operation} answered an unreadable body`, { httpStatus: 200 });
    this.logger.warn(`${operation} failed: code=${exception.code} metaCode=- fbtraceId=-`);
    return exception;
  }

  private request(call: GraphCall): GraphHttpRequest {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (call.token !== null) {
      headers.authorization = `Bearer ${call.token}`;
    }
    let body: string | undefined;
    if (call.data !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(call.data);
    }
    return { method: call.method, path: withParams(this.requestPath(call.url), call.params), headers, body };
  }

  /**
   * The path (and query) to request: a relative one under the configured base URL and version; `paging.next`, a
   * full URL, on the configured Graph origin whatever host it names, so the bearer token never travels anywhere
   * else, and without any `access_token` it might carry.
   */
  private requestPath(url: string): string {
    if (!/^https?:\/\//i.test(url)) {
      return `${this.versionPath}/${url.replace(/^\/+/, '')}`;
    }
    const next = new URL(url);
    next.searchParams.delete('access_token');
    return `${next.pathname}${next.search}`;
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

  private logPath(url: string): string {
    const path = pathWithoutQuery(url);
    return path.startsWith(`/${this.meta.graphApiVersion}/`) || /^\/v\d+\.\d+\//.test(path)
      ? path
      : `/${this.meta.graphApiVersion}${path}`;
  }
}

/** Meta IDs are digit strings; anything else would be a path injection or a caller bug. */
export function graphId(id: string): string {
  if (typeof id !== 'string' || !/^[0-9A-Za-z_.-]+$/.test(id)) {
    throw new MetaGatewayException(MetaGatewayErrorCode.INVALID_REQUEST, 'Invalid Graph object id', {
      httpStatus: null,
    });
  }
  return id;
}

function errorHeaders(error: unknown): unknown {
  return error instanceof GraphHttpError ? error.response?.headers : undefined;
}

/**
 * `path` with `params` appended as its query string, each name and value encoded as axios did before (`,` `:`
 * `$` kept, spaces as `+`), so the requests read as they always have (`ids=1,2,3&fields=id,name`).
 */
function withParams(path: string, params: Record<string, string> | undefined): string {
  if (params === undefined) {
    return path;
  }
  let query = '';
  for (const name in params) {
    const value = params[name];
    if (value !== undefined && value !== null) {
      query += `${query === '' ? '' : '&'}${encodeParam(name)}=${encodeParam(value)}`;
    }
  }
  if (query === '') {
    return path;
  }
  const hash = path.indexOf('#');
  const bare = hash === -1 ? path : path.slice(0, hash);
  return `${bare}${bare.includes('?') ? '&' : '?'}${query}`;
}

function encodeParam(value: string): string {
  return encodeURIComponent(value)
    .replace(/%3A/gi, ':')
    .replace(/%24/g, '$')
    .replace(/%2C/gi, ',')
    .replace(/%20/g, '+');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
