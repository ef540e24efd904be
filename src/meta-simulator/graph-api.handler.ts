import { randomBytes, randomInt } from 'node:crypto';

import { GraphApiError } from './graph-api.error';
import { type FieldSelection, parseFields, selectionOf } from './graph-fields.util';
import { isJsonObject } from './http-io.util';
import {
  SIM_DEFAULT_PAGE_LIMIT,
  SIM_HIGH_THROUGHPUT_MPS,
  SIM_MAX_MULTI_IDS,
  SIM_MAX_PAGE_LIMIT,
  SIM_NODE_TYPE,
  SIM_REGISTRATION_LIMIT,
} from './meta-simulator.constants';
import type {
  JsonObject,
  JsonValue,
  SimBusiness,
  SimPhoneNumber,
  SimSentMessage,
  SimTemplate,
  SimTokenKind,
  SimWaba,
} from './meta-simulator.types';
import { type SimToken, type SimulatorStateStore } from './simulator-state.store';

/** A Graph request after URL, auth and body decoding. */
export interface GraphRequest {
  method: string;
  /** Path without the version prefix, always starting with `/`. */
  path: string;
  segments: string[];
  /** Effective version (the prefix, or the default). */
  version: string;
  query: URLSearchParams;
  /** Query and body parameters merged (body wins). */
  params: JsonObject;
  /** The raw access token (header or parameter), or null. */
  token: string | null;
  /** Origin used to build `paging.next` URLs. */
  origin: string;
}

/** What a handler answers. */
export interface GraphResponse {
  status: number;
  body: JsonValue;
  headers: Record<string, string>;
}

/** Resolved caller identity. */
export interface GraphCaller {
  kind: SimTokenKind;
  record?: SimToken;
}

/** Settings the handler needs from the simulator. */
export interface GraphApiHandlerConfig {
  appId: string;
  appSecret: string;
  appName: string;
  partnerBusinessId: string;
  bucCallBudget: () => number;
  throughputMps: number;
  statusWebhooks: 'all' | 'failed' | 'none';
  webhookUrl: () => string | null;
  now: () => Date;
  /** Fire-and-forget delivery of a `messages` status webhook. */
  emitWebhook: (payload: JsonObject) => void;
  buildWebhook: (field: string, value: JsonObject, entryId: string, time?: number | null) => JsonObject;
  /** Called for every message Meta accepts, before its answer is written (which a fault may lose). */
  onMessageAccepted?: (message: SimSentMessage) => void;
}

const WABA_NODE_DEFAULT = ['id', 'name', 'timezone_id', 'message_template_namespace'];
const WABA_LIST_DEFAULT = ['id', 'name', 'currency', 'timezone_id', 'message_template_namespace'];
const PHONE_NODE_DEFAULT = [
  'code_verification_status',
  'display_phone_number',
  'id',
  'quality_rating',
  'verified_name',
];
const PHONE_LIST_DEFAULT = ['verified_name', 'display_phone_number', 'id', 'quality_rating'];
const BUSINESS_DEFAULT = ['id', 'name'];

const NAME_PENDING_INFO =
  'Your display name has not been approved yet. Your message limit will increase after the display name is approved.';
const APP_NOT_SUBSCRIBED_INFO =
  'Your app is not subscribed to the message webhook for this WhatsApp Business Account. Subscribe your app to receive message webhooks.';

/** Async outcomes of template sends reported through `messages` status webhooks (§5.7). */
const ASYNC_FAILURES: Record<
  'per_user_limit' | 'opted_out' | 'experiment',
  { code: number; title: string; details: string }
> = {
  per_user_limit: {
    code: 131049,
    title: 'This message was not delivered to maintain healthy ecosystem engagement.',
    details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.',
  },
  opted_out: {
    code: 131050,
    title:
      'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.',
    details: 'The recipient has opted out of marketing messages from this business.',
  },
  experiment: {
    code: 130472,
    title: "User's number is part of an experiment",
    details: 'Failed to send message because this user’s phone number is part of an experiment.',
  },
};

function digits(value: string): string {
  return value.replace(/\D/g, '');
}

function asString(value: JsonValue | undefined): string | undefined {
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  return undefined;
}

function asBoolean(value: JsonValue | undefined): boolean | undefined {
  if (typeof value === 'boolean') {
    return value;
  }
  if (value === 'true' || value === '1') {
    return true;
  }
  if (value === 'false' || value === '0') {
    return false;
  }
  return undefined;
}

/** Text of a scalar for comparisons; objects and arrays compare as JSON. */
function scalarText(value: JsonValue | undefined): string {
  if (value === undefined || value === null) {
    return '';
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function encodeCursor(index: number): string {
  return Buffer.from(`sim-cursor:${index}`).toString('base64url');
}

function decodeCursor(cursor: string, name: string): number {
  const match = /^sim-cursor:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) {
    throw GraphApiError.invalidParameter(`(#100) The ${name} cursor is invalid or has expired`);
  }
  return Number(match[1]);
}

/**
 * The Graph API endpoints of graph-api-reference.md §7.1, answered from {@link SimulatorStateStore}.
 * Throws {@link GraphApiError} for every failure; the server renders it as Meta's envelope.
 */
export class GraphApiHandler {
  private appWindow = { startedAt: 0, count: 0 };

  constructor(
    private readonly state: SimulatorStateStore,
    private readonly config: GraphApiHandlerConfig,
  ) {}

  /** Classifies the caller's token without failing (used for the request log too). */
  identify(token: string | null): GraphCaller {
    if (token === null || token === '') {
      return { kind: 'none' };
    }
    if (token.includes('|')) {
      return token === `${this.config.appId}|${this.config.appSecret}` ? { kind: 'app' } : { kind: 'unknown' };
    }
    const record = this.state.findToken(token);
    return record ? { kind: record.kind, record } : { kind: 'unknown' };
  }

  /** `X-App-Usage` value: the app's share of its hourly call budget, in percent. */
  appUsage(): string {
    const nowMs = this.config.now().getTime();
    if (nowMs - this.appWindow.startedAt >= 3_600_000) {
      this.appWindow = { startedAt: nowMs, count: 0 };
    }
    this.appWindow.count += 1;
    const percent = Math.min(100, Math.floor(this.appWindow.count / 10_000));
    return JSON.stringify({ call_count: percent, total_time: percent, total_cputime: percent });
  }

  /** The WABA a path is about (for BUC headers of injected throttles). */
  wabaOfPath(segments: string[]): string | null {
    const id = segments[0];
    if (!id) {
      return null;
    }
    if (this.state.wabas.has(id)) {
      return id;
    }
    return this.state.phones.get(id)?.wabaId ?? id;
  }

  /** Builds an `X-Business-Use-Case-Usage` header value (§1.6). */
  static bucHeader(entries: Array<{ wabaId: string; percent: number; regainMinutes: number }>): string {
    const value: Record<string, JsonValue> = {};
    for (const entry of entries.slice(0, 32)) {
      value[entry.wabaId] = [
        {
          type: 'whatsapp_business_management',
          call_count: entry.percent,
          total_cputime: Math.floor(entry.percent / 4),
          total_time: Math.floor(entry.percent / 4),
          estimated_time_to_regain_access: entry.regainMinutes,
        },
      ];
    }
    return JSON.stringify(value);
  }

  handle(req: GraphRequest): GraphResponse {
    const [first, second, third] = req.segments;
    if (first === undefined) {
      if (req.method === 'GET') {
        return this.multiId(req);
      }
      throw GraphApiError.invalidParameter('(#100) Unsupported operation on the root node');
    }
    if (first === 'oauth' && second === 'access_token' && third === undefined) {
      return this.ok(this.exchangeCode(req));
    }
    if (first === 'debug_token' && second === undefined) {
      return this.ok(this.debugToken(req));
    }
    if (req.segments.length > 2) {
      throw GraphApiError.invalidParameter(`Unknown path components: /${req.segments.slice(2).join('/')}`);
    }
    const waba = this.state.wabas.get(first);
    if (waba) {
      return this.wabaRoute(req, waba, second);
    }
    const phone = this.state.phones.get(first);
    if (phone) {
      return this.phoneRoute(req, phone, second);
    }
    const business = this.state.businesses.get(first);
    if (business) {
      return this.businessRoute(req, business, second);
    }
    this.requireUserToken(req);
    throw GraphApiError.unsupportedRequest(req.method, first);
  }

  private ok(body: JsonValue, headers: Record<string, string> = {}): GraphResponse {
    return { status: 200, body, headers };
  }

  // ---------------------------------------------------------------- auth

  /** A valid business or system-user token, else the matching 104/190 error (§1.5). */
  private requireUserToken(req: GraphRequest): GraphCaller {
    const caller = this.identify(req.token);
    if (caller.kind === 'none') {
      throw GraphApiError.tokenRequired();
    }
    if (caller.kind === 'unknown') {
      throw GraphApiError.unparsableToken();
    }
    if (caller.record) {
      this.assertTokenUsable(caller.record);
    }
    return caller;
  }

  private assertTokenUsable(record: SimToken): void {
    if (record.invalidated) {
      throw GraphApiError.invalidatedToken();
    }
    const now = this.config.now();
    if (record.expiresAt !== null && record.expiresAt <= now.getTime()) {
      throw GraphApiError.expiredToken(new Date(record.expiresAt), now);
    }
  }

  private canSeeWaba(caller: GraphCaller, waba: SimWaba): boolean {
    if (waba.state === 'DELETED' || !caller.record) {
      return false;
    }
    if (caller.record.kind === 'system_user') {
      return true;
    }
    return waba.sharedWithPartner && caller.record.wabaIdSet.has(waba.id);
  }

  private canSeeBusiness(caller: GraphCaller, business: SimBusiness): boolean {
    if (!caller.record) {
      return false;
    }
    if (caller.record.kind === 'system_user' || caller.record.businessId === business.id) {
      return true;
    }
    return business.wabaIds.some((id) => {
      const waba = this.state.wabas.get(id);
      return waba !== undefined && this.canSeeWaba(caller, waba);
    });
  }

  /** Counts one WABA-management call; throws 80008 once over budget. Returns the usage header. */
  private countBuc(wabaIds: string[]): Record<string, string> {
    const usage: Array<{ wabaId: string; percent: number; regainMinutes: number }> = [];
    for (const wabaId of wabaIds) {
      const result = this.state.countBucCall(wabaId, this.config.bucCallBudget());
      usage.push({ wabaId, percent: result.percent, regainMinutes: result.regainMinutes });
      if (result.throttled) {
        throw GraphApiError.bucThrottled({ 'X-Business-Use-Case-Usage': GraphApiHandler.bucHeader(usage) });
      }
    }
    return { 'X-Business-Use-Case-Usage': GraphApiHandler.bucHeader(usage) };
  }

  // ---------------------------------------------------------------- oauth / debug_token

  private exchangeCode(req: GraphRequest): JsonObject {
    if (req.method !== 'GET' && req.method !== 'POST') {
      throw GraphApiError.invalidParameter('(#100) Unsupported method');
    }
    const clientId = asString(req.params.client_id);
    const clientSecret = asString(req.params.client_secret);
    const code = asString(req.params.code);
    if (!clientId) {
      throw GraphApiError.invalidParameter('Missing client_id parameter.');
    }
    if (clientId !== this.config.appId) {
      throw new GraphApiError({
        code: 101,
        httpStatus: 400,
        message: 'Error validating application. Invalid application ID.',
      });
    }
    if (clientSecret !== this.config.appSecret) {
      throw new GraphApiError({ code: 1, httpStatus: 400, message: 'Error validating client secret.' });
    }
    if (!code) {
      throw GraphApiError.invalidParameter('Missing authorization code');
    }
    const result = this.state.consumeCode(code);
    if ('error' in result) {
      const messages = {
        unknown: 'Invalid verification code format.',
        used: 'This authorization code has been used.',
        expired: 'This authorization code has expired.',
      } as const;
      throw GraphApiError.invalidParameter(messages[result.error]);
    }
    const record = this.state.requireToken(result.token);
    const body: JsonObject = { access_token: record.token, token_type: 'bearer' };
    if (record.expiresAt !== null) {
      body.expires_in = Math.max(0, Math.floor((record.expiresAt - this.config.now().getTime()) / 1000));
    }
    return body;
  }

  private debugToken(req: GraphRequest): JsonObject {
    const caller = this.identify(req.token);
    if (caller.kind === 'none') {
      throw GraphApiError.tokenRequired();
    }
    if (caller.kind === 'unknown' || caller.kind === 'business') {
      // Only the app token or a system-user token of the app may inspect tokens.
      if (caller.kind === 'unknown') {
        throw GraphApiError.unparsableToken();
      }
      throw new GraphApiError({
        code: 100,
        httpStatus: 400,
        message:
          '(#100) You must provide an app access token, or a user access token that is an owner or developer of the app',
      });
    }
    if (caller.record) {
      this.assertTokenUsable(caller.record);
    }
    const input = asString(req.params.input_token);
    if (!input) {
      throw GraphApiError.invalidParameter('(#100) The parameter input_token is required');
    }
    const base = { app_id: this.config.appId, application: this.config.appName };
    if (input === `${this.config.appId}|${this.config.appSecret}`) {
      return { data: { ...base, type: 'APP', is_valid: true, scopes: [] } };
    }
    const record = this.state.findToken(input);
    if (!record) {
      return {
        data: {
          error: { code: 190, message: 'Invalid OAuth access token - Cannot parse access token' },
          is_valid: false,
          scopes: [],
        },
      };
    }
    const scopes = ['whatsapp_business_management', 'whatsapp_business_messaging', 'public_profile'];
    const expiresAt = record.expiresAt === null ? 0 : Math.floor(record.expiresAt / 1000);
    const data: JsonObject = {
      ...base,
      type: record.kind === 'system_user' ? 'SYSTEM_USER' : 'USER',
      data_access_expires_at: Math.floor(record.issuedAt / 1000) + 90 * 24 * 3600,
      expires_at: expiresAt,
    };
    const now = this.config.now();
    if (record.invalidated) {
      data.error = { code: 190, message: GraphApiError.invalidatedToken().message, subcode: 467 };
    } else if (record.expiresAt !== null && record.expiresAt <= now.getTime()) {
      data.error = {
        code: 190,
        message: GraphApiError.expiredToken(new Date(record.expiresAt), now).message,
        subcode: 463,
      };
    }
    // A system-user token is not limited to listed targets, so Graph omits target_ids for it.
    data.granular_scopes =
      record.kind === 'system_user'
        ? [{ scope: 'whatsapp_business_management' }, { scope: 'whatsapp_business_messaging' }]
        : [
            { scope: 'whatsapp_business_management', target_ids: [...record.wabaIds] },
            { scope: 'whatsapp_business_messaging', target_ids: [...record.wabaIds] },
          ];
    data.is_valid = data.error === undefined;
    data.scopes = scopes;
    data.user_id = record.userId;
    return { data };
  }

  // ---------------------------------------------------------------- multi-ID

  private multiId(req: GraphRequest): GraphResponse {
    const raw = asString(req.params.ids);
    if (raw === undefined || raw.trim() === '') {
      throw GraphApiError.invalidParameter('(#100) Missing ids parameter');
    }
    const caller = this.requireUserToken(req);
    const ids = [
      ...new Set(
        raw
          .split(',')
          .map((id) => id.trim())
          .filter((id) => id !== ''),
      ),
    ];
    if (ids.length > SIM_MAX_MULTI_IDS) {
      throw GraphApiError.invalidParameter(
        `(#100) Too many IDs. Maximum: ${SIM_MAX_MULTI_IDS}. Provided: ${ids.length}.`,
      );
    }
    const selection = parseFields(asString(req.params.fields));
    const bucWabas: string[] = [];
    const nodes: Array<() => JsonObject> = [];
    for (const id of ids) {
      const waba = this.state.wabas.get(id);
      const phone = waba ? undefined : this.state.phones.get(id);
      const business = waba || phone ? undefined : this.state.businesses.get(id);
      if (waba && this.canSeeWaba(caller, waba)) {
        bucWabas.push(waba.id);
        nodes.push(() => this.renderWaba(waba, selection, req, WABA_NODE_DEFAULT));
      } else if (phone && this.phoneVisible(caller, phone)) {
        bucWabas.push(phone.wabaId);
        nodes.push(() => this.renderPhone(phone, selection, PHONE_NODE_DEFAULT));
      } else if (business && this.canSeeBusiness(caller, business)) {
        nodes.push(() => this.renderBusiness(business, selection));
      } else {
        // One unknown or inaccessible id fails the whole request (§1.9).
        throw GraphApiError.unsupportedRequest('GET', id);
      }
    }
    const headers = bucWabas.length > 0 ? this.countBuc(bucWabas) : {};
    const body: JsonObject = {};
    ids.forEach((id, index) => {
      body[id] = nodes[index]();
    });
    return this.ok(body, headers);
  }

  private phoneVisible(caller: GraphCaller, phone: SimPhoneNumber): boolean {
    const waba = this.state.wabas.get(phone.wabaId);
    return waba !== undefined && this.canSeeWaba(caller, waba);
  }

  // ---------------------------------------------------------------- WABA

  private wabaRoute(req: GraphRequest, waba: SimWaba, edge: string | undefined): GraphResponse {
    const caller = this.requireUserToken(req);
    if (!this.canSeeWaba(caller, waba)) {
      throw GraphApiError.unsupportedRequest(req.method, waba.id);
    }
    const headers = this.countBuc([waba.id]);
    const key = `${req.method} ${edge ?? ''}`;
    switch (key) {
      case 'GET ':
        return this.ok(
          this.renderWaba(waba, parseFields(asString(req.params.fields)), req, WABA_NODE_DEFAULT),
          headers,
        );
      case 'POST ':
        return this.ok(this.updateWaba(waba, req.params), headers);
      case 'GET phone_numbers':
        return this.ok(this.phoneNumbersEdge(waba, req, parseFields(asString(req.params.fields)), undefined), headers);
      case 'POST phone_numbers':
        return this.ok(this.addPhoneNumber(waba, req.params), headers);
      case 'GET subscribed_apps':
        return this.ok(this.subscribedApps(waba), headers);
      case 'POST subscribed_apps': {
        const override = asString(req.params.override_callback_uri);
        this.state.subscriptions.set(waba.id, { overrideCallbackUri: override ?? null });
        return this.ok({ success: true }, headers);
      }
      case 'DELETE subscribed_apps':
        this.state.subscriptions.delete(waba.id);
        return this.ok({ success: true }, headers);
      default:
        throw GraphApiError.unsupportedRequest(req.method, edge ? `${waba.id}/${edge}` : waba.id);
    }
  }

  private updateWaba(waba: SimWaba, params: JsonObject): JsonObject {
    const booleans = {
      disable_marketing_messages_on_cloud_api: 'disableMarketingMessagesOnCloudApi',
      is_enabled_for_insights: 'isEnabledForInsights',
      template_auto_archival_enabled: 'templateAutoArchivalEnabled',
    } as const;
    let changed = false;
    for (const [key, value] of Object.entries(params)) {
      if (key === 'access_token') {
        continue;
      }
      if (key in booleans) {
        const parsed = asBoolean(value);
        if (parsed === undefined) {
          throw GraphApiError.invalidParameter(`(#100) Param ${key} must be a boolean`);
        }
        waba[booleans[key as keyof typeof booleans]] = parsed;
        changed = true;
      } else if (key === 'degrees_of_freedom_spec') {
        changed = true;
      } else {
        throw GraphApiError.invalidParameter(`(#100) Param ${key} is not a valid parameter for this operation`);
      }
    }
    if (!changed) {
      throw GraphApiError.invalidParameter('(#100) No parameters to update');
    }
    return { id: waba.id };
  }

  private addPhoneNumber(waba: SimWaba, params: JsonObject): JsonObject {
    const cc = asString(params.cc);
    const number = asString(params.phone_number);
    const verifiedName = asString(params.verified_name);
    if (!cc || !number || !verifiedName) {
      throw GraphApiError.invalidParameter('(#100) The parameters cc, phone_number and verified_name are required');
    }
    const phone = this.state.createPhoneNumber({
      wabaId: waba.id,
      displayPhoneNumber: `+${digits(cc)} ${digits(number)}`,
      verifiedName,
      status: 'PENDING',
      platformType: 'NOT_APPLICABLE',
      codeVerificationStatus: 'NOT_VERIFIED',
      nameStatus: 'PENDING_REVIEW',
    });
    return { id: phone.id };
  }

  private subscribedApps(waba: SimWaba): JsonObject {
    const subscription = this.state.subscriptions.get(waba.id);
    if (!subscription) {
      return { data: [] };
    }
    const item: JsonObject = {
      whatsapp_business_api_data: {
        link: `https://www.facebook.com/games/?app_id=${this.config.appId}`,
        name: this.config.appName,
        id: this.config.appId,
      },
    };
    if (subscription.overrideCallbackUri) {
      item.override_callback_uri = subscription.overrideCallbackUri;
    }
    return { data: [item] };
  }

  private mmLiteApiStatus(status: string): string {
    if (status === 'ONBOARDED') {
      return 'ONBOARDED';
    }
    return status.startsWith('INELIGIBLE') ? 'INELIGIBLE' : 'ELIGIBLE';
  }

  private renderWaba(
    waba: SimWaba,
    selection: FieldSelection[] | null,
    req: GraphRequest,
    defaults: string[],
  ): JsonObject {
    const business = this.state.businesses.get(waba.businessId);
    const value = (field: FieldSelection): JsonValue | undefined => {
      switch (field.name) {
        case 'id':
          return waba.id;
        case 'name':
          return waba.name;
        case 'currency':
          return waba.currency;
        case 'timezone_id':
          return waba.timezoneId;
        case 'message_template_namespace':
          return waba.messageTemplateNamespace;
        case 'country':
          return waba.country;
        case 'creation_time':
          return waba.creationTime;
        case 'status':
          return waba.status;
        case 'account_review_status':
          return waba.accountReviewStatus;
        case 'business_verification_status':
          return waba.businessVerificationStatus;
        case 'health_status':
          return this.healthStatus(waba, null);
        case 'ownership_type':
          return waba.ownershipType;
        case 'on_behalf_of_business_info':
          return waba.ownershipType === 'ON_BEHALF_OF' && business
            ? { id: business.id, name: business.name, status: 'APPROVED', type: 'AGENCY' }
            : undefined;
        case 'owner_business_info': {
          if (!business) {
            return undefined;
          }
          const info: JsonObject = { name: business.name, id: business.id };
          if (business.termsStatus) {
            info.marketing_messages_onboarding_status = { ...business.termsStatus };
          }
          return info;
        }
        case 'owner_business':
          return business ? { id: business.id, name: business.name } : undefined;
        case 'primary_business_location':
          return waba.primaryBusinessLocation ?? undefined;
        case 'primary_funding_id':
          return waba.primaryFundingId ?? undefined;
        case 'purchase_order_number':
          return waba.purchaseOrderNumber ?? undefined;
        case 'is_enabled_for_insights':
          return waba.isEnabledForInsights;
        case 'is_shared_with_partners':
          return waba.isSharedWithPartners;
        case 'template_auto_archival_enabled':
          return waba.templateAutoArchivalEnabled;
        case 'disable_marketing_messages_on_cloud_api':
          return waba.disableMarketingMessagesOnCloudApi;
        case 'auth_international_rate_eligibility':
          return waba.authInternationalRateEligibility ?? undefined;
        case 'whatsapp_business_manager_messaging_limit':
          return waba.messagingLimit;
        case 'marketing_messages_onboarding_status':
          return waba.marketingMessagesOnboardingStatus;
        case 'marketing_messages_lite_api_status':
          return this.mmLiteApiStatus(waba.marketingMessagesOnboardingStatus);
        case 'phone_numbers':
          return this.phoneNumbersEdge(waba, req, field.children, field.limit, true);
        case 'subscribed_apps':
          return this.subscribedApps(waba);
        default:
          throw GraphApiError.nonexistingField(field.name, SIM_NODE_TYPE.waba);
      }
    };
    return this.renderNode(selection ?? selectionOf(defaults), value, waba.id, true);
  }

  /** Renders the selected fields; fields without a value are left out, `id` is appended as Graph does. */
  private renderNode(
    selection: FieldSelection[],
    value: (field: FieldSelection) => JsonValue | undefined,
    id: string,
    appendId: boolean,
  ): JsonObject {
    const node: JsonObject = {};
    for (const field of selection) {
      const rendered = value(field);
      if (rendered !== undefined) {
        node[field.name] = rendered;
      }
    }
    if (appendId && node.id === undefined) {
      node.id = id;
    }
    return node;
  }

  /** `health_status` per §3.4, derived from the lifecycle state unless overridden. */
  private healthStatus(waba: SimWaba, phone: SimPhoneNumber | null): JsonObject {
    const override = phone ? phone.healthStatusOverride : waba.healthStatusOverride;
    if (override) {
      return override;
    }
    const entities: JsonObject[] = [];
    if (phone) {
      const entity: JsonObject = {
        entity_type: 'PHONE_NUMBER',
        id: phone.id,
        can_send_message: 'AVAILABLE',
        can_receive_call_sip: 'AVAILABLE',
      };
      if (['BANNED', 'DELETED', 'DISCONNECTED'].includes(phone.status)) {
        entity.can_send_message = 'BLOCKED';
        entity.errors = [
          {
            error_code: 131045,
            error_description: `The phone number is ${phone.status.toLowerCase()}.`,
            possible_solution: 'Register the phone number on Cloud API.',
          },
        ];
      } else if (!['APPROVED', 'AVAILABLE_WITHOUT_REVIEW'].includes(phone.nameStatus)) {
        entity.can_send_message = 'LIMITED';
        entity.additional_info = [NAME_PENDING_INFO];
      }
      entities.push(entity);
    }
    const wabaEntity: JsonObject = { entity_type: 'WABA', id: waba.id, can_send_message: 'AVAILABLE' };
    const nowSeconds = Math.floor(this.config.now().getTime() / 1000);
    if (waba.state === 'DISABLED' || waba.state === 'DELETED') {
      // Error code and texts of a disabled WABA are UNCONFIRMED (derived/waba.get.disabled.TEMPLATE.json).
      wabaEntity.can_send_message = 'BLOCKED';
      wabaEntity.errors = [
        {
          error_code: 368,
          error_description: 'The WhatsApp Business Account has been disabled for violating a platform policy.',
          possible_solution: 'Request a review of the decision in WhatsApp Manager.',
        },
      ];
    } else if (waba.state === 'RESTRICTED' && waba.restrictions.some((r) => r.expiration > nowSeconds)) {
      wabaEntity.can_send_message = 'LIMITED';
      wabaEntity.additional_info = waba.restrictions.map(
        (r) => `${r.restrictionType} until ${new Date(r.expiration * 1000).toISOString()}.`,
      );
    }
    entities.push(wabaEntity);
    entities.push({ entity_type: 'BUSINESS', id: waba.businessId, can_send_message: 'AVAILABLE' });
    const app: JsonObject = {
      entity_type: 'APP',
      id: this.config.appId,
      can_send_message: 'AVAILABLE',
      can_receive_call_sip: 'AVAILABLE',
    };
    if (!this.state.subscriptions.has(waba.id)) {
      app.can_send_message = 'LIMITED';
      app.additional_info = [APP_NOT_SUBSCRIBED_INFO];
    }
    entities.push(app);
    const levels = entities.map((entity) => entity.can_send_message);
    const overall = levels.includes('BLOCKED') ? 'BLOCKED' : levels.includes('LIMITED') ? 'LIMITED' : 'AVAILABLE';
    return { can_send_message: overall, entities };
  }

  // ---------------------------------------------------------------- lists

  /** Applies `limit`/`after`/`before` to an ordered list and builds Graph's `paging` (§1.7). */
  private paginate<T>(
    items: T[],
    req: GraphRequest,
    render: (item: T) => JsonObject,
    limitOverride: number | undefined,
    nested: boolean,
  ): JsonObject {
    const rawLimit = nested ? limitOverride : Number(asString(req.params.limit) ?? SIM_DEFAULT_PAGE_LIMIT);
    const limit = Math.min(
      SIM_MAX_PAGE_LIMIT,
      Math.max(1, Number.isFinite(rawLimit) ? Number(rawLimit) : SIM_DEFAULT_PAGE_LIMIT),
    );
    const after = nested ? undefined : asString(req.params.after);
    const before = nested ? undefined : asString(req.params.before);
    let start = 0;
    let end: number;
    if (after !== undefined) {
      start = decodeCursor(after, 'after') + 1;
      end = Math.min(items.length, start + limit);
    } else if (before !== undefined) {
      end = Math.min(items.length, decodeCursor(before, 'before'));
      start = Math.max(0, end - limit);
    } else {
      end = Math.min(items.length, limit);
    }
    const data = items.slice(start, end).map(render);
    if (data.length === 0) {
      return { data: [] };
    }
    const paging: JsonObject = { cursors: { before: encodeCursor(start), after: encodeCursor(end - 1) } };
    if (!nested) {
      const link = (cursorName: 'after' | 'before', cursor: string): string => {
        const query = new URLSearchParams(req.query);
        query.delete('after');
        query.delete('before');
        query.set('limit', String(limit));
        query.set(cursorName, cursor);
        return `${req.origin}/${req.version}${req.path}?${query.toString()}`;
      };
      if (start > 0) {
        paging.previous = link('before', encodeCursor(start));
      }
      if (end < items.length) {
        paging.next = link('after', encodeCursor(end - 1));
      }
    }
    return { data, paging };
  }

  private parseJsonParam(raw: string, name: string): JsonValue {
    try {
      // Meta's own examples use single quotes inside filtering (§2.10).
      return JSON.parse(raw.replace(/'/g, '"')) as JsonValue;
    } catch {
      throw GraphApiError.invalidParameter(`(#100) Param ${name} must be a JSON array`);
    }
  }

  private parseFilters(raw: JsonValue | undefined): Array<{ field: string; operator: string; value: JsonValue }> {
    if (raw === undefined) {
      return [];
    }
    const parsed = typeof raw === 'string' ? this.parseJsonParam(raw, 'filtering') : raw;
    if (!Array.isArray(parsed)) {
      throw GraphApiError.invalidParameter('(#100) Param filtering must be an array');
    }
    return parsed.map((item) => {
      if (!isJsonObject(item) || typeof item.field !== 'string' || typeof item.operator !== 'string') {
        throw GraphApiError.invalidParameter('(#100) Each filtering entry needs field, operator and value');
      }
      return { field: item.field, operator: item.operator.toUpperCase(), value: item.value ?? null };
    });
  }

  private matchesFilter(actual: JsonValue | undefined, operator: string, expected: JsonValue): boolean {
    const text = scalarText(actual);
    const list = Array.isArray(expected) ? expected.map(scalarText) : [];
    switch (operator) {
      case 'EQUAL':
        return text === scalarText(expected);
      case 'NOT_EQUAL':
        return text !== scalarText(expected);
      case 'IN':
        return list.includes(text);
      case 'NOT_IN':
        return !list.includes(text);
      case 'GREATER_THAN':
        return Number(text) > Number(scalarText(expected));
      case 'LESS_THAN':
        return Number(text) < Number(scalarText(expected));
      default:
        throw GraphApiError.invalidParameter(`(#100) Unsupported filtering operator ${operator}`);
    }
  }

  private phoneNumbersEdge(
    waba: SimWaba,
    req: GraphRequest,
    children: FieldSelection[] | null,
    limit: number | undefined,
    nested = false,
  ): JsonObject {
    const filters = nested ? [] : this.parseFilters(req.params.filtering);
    // `sort` comes bare or as a JSON array (§4.1); both forms are accepted.
    const sortParam = req.params.sort;
    const sortRaw = nested
      ? undefined
      : Array.isArray(sortParam)
        ? sortParam.map(scalarText).join(',')
        : asString(sortParam);
    const ascending = sortRaw !== undefined && sortRaw.includes('last_onboarded_time_ascending');
    const phones = waba.phoneNumberIds
      .map((id, index) => ({ phone: this.state.phones.get(id), index }))
      .filter((entry): entry is { phone: SimPhoneNumber; index: number } => entry.phone !== undefined)
      .filter(({ phone }) =>
        filters.every((filter) => {
          const rendered = this.renderPhone(phone, selectionOf([filter.field]), []);
          return this.matchesFilter(rendered[filter.field], filter.operator, filter.value);
        }),
      )
      .sort((a, b) => {
        const byTime = a.phone.lastOnboardedTime - b.phone.lastOnboardedTime || a.index - b.index;
        return ascending ? byTime : -byTime;
      })
      .map((entry) => entry.phone);
    const selection = children ?? selectionOf(PHONE_LIST_DEFAULT);
    return this.paginate(
      phones,
      req,
      (phone) => this.renderPhone(phone, selection, PHONE_LIST_DEFAULT),
      limit ?? (nested ? SIM_DEFAULT_PAGE_LIMIT : undefined),
      nested,
    );
  }

  // ---------------------------------------------------------------- phone numbers

  private phoneRoute(req: GraphRequest, phone: SimPhoneNumber, edge: string | undefined): GraphResponse {
    const caller = this.requireUserToken(req);
    const waba = this.state.wabas.get(phone.wabaId);
    if (!waba || !this.canSeeWaba(caller, waba)) {
      throw GraphApiError.unsupportedRequest(req.method, phone.id);
    }
    const key = `${req.method} ${edge ?? ''}`;
    if (key === 'POST messages' || key === 'POST marketing_messages') {
      return this.ok(this.send(req, waba, phone, edge === 'marketing_messages' ? 'marketing_messages' : 'messages'));
    }
    const headers = this.countBuc([waba.id]);
    switch (key) {
      case 'GET ':
        return this.ok(this.renderPhone(phone, parseFields(asString(req.params.fields)), PHONE_NODE_DEFAULT), headers);
      case 'POST ':
        return this.ok(this.updatePhone(phone, req.params), headers);
      case 'POST register':
        return this.ok(this.register(waba, phone, req.params), headers);
      case 'POST deregister':
        if (!this.state.recordRegistration(phone.id, SIM_REGISTRATION_LIMIT)) {
          throw this.registrationLimit();
        }
        phone.status = 'DISCONNECTED';
        phone.platformType = 'NOT_APPLICABLE';
        return this.ok({ success: true }, headers);
      case 'POST request_code': {
        const method = asString(req.params.code_method);
        if (method !== 'SMS' && method !== 'VOICE') {
          throw GraphApiError.invalidParameter('(#100) Param code_method must be one of {SMS, VOICE}');
        }
        if (!asString(req.params.language)) {
          throw GraphApiError.invalidParameter('(#100) The parameter language is required');
        }
        return this.ok({ success: true }, headers);
      }
      case 'POST verify_code': {
        const code = asString(req.params.code);
        if (!code || !/^\d{6}$/.test(code)) {
          throw GraphApiError.whatsapp(
            136025,
            'Verify code error',
            'Code couldn\u2019t be verified, you have either entered the wrong code or have waited too long to enter it.',
          );
        }
        phone.codeVerificationStatus = 'VERIFIED';
        return this.ok({ success: true }, headers);
      }
      default:
        throw GraphApiError.unsupportedRequest(req.method, edge ? `${phone.id}/${edge}` : phone.id);
    }
  }

  private registrationLimit(): GraphApiError {
    return GraphApiError.whatsapp(
      133016,
      'Account register deregister rate limit exceeded',
      'Registration or Deregistration failed because there were too many attempts for this phone number in a short period of time.',
    );
  }

  private register(waba: SimWaba, phone: SimPhoneNumber, params: JsonObject): JsonObject {
    if (asString(params.messaging_product) !== 'whatsapp') {
      throw GraphApiError.invalidParameter('(#100) The parameter messaging_product is required.');
    }
    const pin = asString(params.pin);
    if (pin === undefined || !/^\d{6}$/.test(pin)) {
      throw GraphApiError.invalidParameter('(#100) Invalid parameter', 'PIN must be 6 digits.');
    }
    if (waba.state === 'DISABLED' || waba.state === 'DELETED') {
      throw GraphApiError.accountLocked();
    }
    if (!this.state.recordRegistration(phone.id, SIM_REGISTRATION_LIMIT)) {
      throw this.registrationLimit();
    }
    if (phone.pin !== null && phone.pin !== pin) {
      throw GraphApiError.whatsapp(
        133005,
        'Two step verification PIN Mismatch',
        'Two step verification PIN incorrect.',
      );
    }
    phone.pin = pin;
    phone.status = 'CONNECTED';
    phone.platformType = 'CLOUD_API';
    phone.lastOnboardedTime = Math.floor(this.config.now().getTime() / 1000);
    return { success: true };
  }

  private updatePhone(phone: SimPhoneNumber, params: JsonObject): JsonObject {
    const pin = params.pin;
    if (pin !== undefined) {
      const value = asString(pin);
      if (value === undefined || !/^\d{6}$/.test(value)) {
        throw GraphApiError.invalidParameter('(#100) Invalid parameter', 'PIN must be 6 digits.');
      }
      phone.pin = value;
      return { success: true };
    }
    const webhook = params.webhook_configuration;
    if (isJsonObject(webhook)) {
      phone.webhookOverrideUri = asString(webhook.override_callback_uri) ?? null;
      return { success: true };
    }
    const newName = asString(params.new_display_name);
    if (newName !== undefined) {
      phone.newDisplayName = newName;
      phone.newNameStatus = 'PENDING_REVIEW';
      return { success: true };
    }
    throw GraphApiError.invalidParameter('(#100) No parameters to update');
  }

  private renderPhone(phone: SimPhoneNumber, selection: FieldSelection[] | null, defaults: string[]): JsonObject {
    const waba = this.state.wabas.get(phone.wabaId);
    const value = (field: FieldSelection): JsonValue | undefined => {
      switch (field.name) {
        case 'id':
          return phone.id;
        case 'display_phone_number':
          return phone.displayPhoneNumber;
        case 'verified_name':
          return phone.verifiedName;
        case 'quality_rating':
          return phone.qualityRating;
        case 'code_verification_status':
          return phone.codeVerificationStatus;
        case 'status':
          return phone.status;
        case 'name_status':
          return phone.nameStatus;
        case 'new_name_status':
          return phone.newNameStatus ?? undefined;
        case 'new_display_name':
          return phone.newDisplayName ?? undefined;
        case 'platform_type':
          return phone.platformType;
        case 'account_mode':
          return phone.accountMode;
        case 'throughput':
          return { level: phone.throughputLevel };
        case 'messaging_limit_tier':
          return phone.messagingLimitTier;
        case 'whatsapp_business_manager_messaging_limit':
          return waba?.messagingLimit;
        case 'is_official_business_account':
          return phone.isOfficialBusinessAccount;
        case 'is_on_biz_app':
          return phone.isOnBizApp;
        case 'is_pin_enabled':
          return phone.pin !== null;
        case 'last_onboarded_time':
          return new Date(phone.lastOnboardedTime * 1000).toISOString().replace(/\.\d{3}Z$/, '+0000');
        case 'search_visibility':
          return phone.searchVisibility;
        case 'quality_score':
          return { score: phone.qualityRating };
        case 'health_status':
          return waba ? this.healthStatus(waba, phone) : undefined;
        case 'webhook_configuration': {
          const config: JsonObject = {};
          if (phone.webhookOverrideUri) {
            config.phone_number = phone.webhookOverrideUri;
          }
          const wabaOverride = this.state.subscriptions.get(phone.wabaId)?.overrideCallbackUri;
          if (wabaOverride) {
            config.whatsapp_business_account = wabaOverride;
          }
          const appUrl = this.config.webhookUrl();
          if (appUrl) {
            config.application = appUrl;
          }
          return config;
        }
        default:
          throw GraphApiError.nonexistingField(field.name, SIM_NODE_TYPE.phoneNumber);
      }
    };
    return this.renderNode(selection ?? selectionOf(defaults), value, phone.id, true);
  }

  // ---------------------------------------------------------------- sends

  private send(
    req: GraphRequest,
    waba: SimWaba,
    phone: SimPhoneNumber,
    endpoint: 'messages' | 'marketing_messages',
  ): JsonObject {
    const params = req.params;
    if (asString(params.messaging_product) !== 'whatsapp') {
      throw GraphApiError.invalidParameter('(#100) The parameter messaging_product is required.');
    }
    if (phone.status !== 'CONNECTED') {
      throw GraphApiError.whatsapp(
        133010,
        'Account not registered',
        'The phone number is not registered on the WhatsApp Business Platform.',
      );
    }
    const nowSeconds = Math.floor(this.config.now().getTime() / 1000);
    if (waba.state === 'DISABLED' || waba.state === 'DELETED') {
      throw GraphApiError.wabaRestricted();
    }
    if (
      waba.state === 'RESTRICTED' &&
      waba.restrictions.some(
        (r) => r.expiration > nowSeconds && r.restrictionType === 'RESTRICTED_BIZ_INITIATED_MESSAGING',
      )
    ) {
      throw GraphApiError.accountLocked();
    }
    const to = asString(params.to);
    const recipient = asString(params.recipient);
    if (!to && !(endpoint === 'marketing_messages' && recipient)) {
      throw new GraphApiError({ code: 100, httpStatus: 400, message: 'The parameter to is required.' });
    }
    const type = asString(params.type) ?? 'text';
    if (endpoint === 'marketing_messages' && type !== 'template') {
      throw GraphApiError.invalidParameter('(#100) Invalid parameter', 'Message must be a template message.');
    }
    let template: SimTemplate | null = null;
    if (type === 'template') {
      template = this.resolveTemplate(waba, params.template);
    }
    let category = template ? template.category.toLowerCase() : 'service';
    if (endpoint === 'marketing_messages' && template) {
      if (template.category !== 'MARKETING') {
        throw GraphApiError.whatsapp(
          134100,
          'Only marketing messages supported',
          'Only marketing template messages are supported. Send utility and authentication templates with the Cloud API.',
        );
      }
      if (waba.marketingMessagesOnboardingStatus === 'ONBOARDED') {
        if (template.syncedAt > nowSeconds) {
          throw GraphApiError.whatsapp(
            134101,
            'Your template is still syncing',
            'Your template is still being synced. Wait up to 10 minutes and try again.',
          );
        }
        if (!to && recipient && (template.usesBidSpec || params.bid_spec !== undefined)) {
          throw GraphApiError.whatsapp(
            131062,
            'Business-scoped User ID (BSUID) recipients are not supported for this message.',
            'The template specified in the request uses bid_spec, which is not supported for Business-scoped user ID (BSUID) recipients. To send this template, please provide the phone number of recipients or use a template without the bid_spec field.',
          );
        }
        category = 'marketing_lite';
      } else if (asString(params.product_policy) === 'STRICT') {
        throw GraphApiError.whatsapp(
          134102,
          'Template unavailable for use',
          'This template is unavailable for use with the Marketing Messages API for WhatsApp. Please check your eligibility status (marketing_messages_lite_api_status).',
          500,
        );
      }
      // Not onboarded with the default CLOUD_API_FALLBACK policy: Meta routes the send through Cloud API.
    }
    if (
      endpoint === 'messages' &&
      template?.category === 'MARKETING' &&
      waba.disableMarketingMessagesOnCloudApi &&
      waba.marketingMessagesOnboardingStatus === 'ONBOARDED'
    ) {
      throw GraphApiError.whatsapp(
        131063,
        'Marketing templates disabled for Cloud API',
        'Your template is categorized as Marketing, but marketing templates are currently disabled for your Cloud API configuration. To send this template, use the Marketing Messages API for WhatsApp or enable marketing templates on Cloud API by turning off disable_marketing_messages_on_cloud_api.',
      );
    }
    const mps = phone.throughputLevel === 'HIGH' ? SIM_HIGH_THROUGHPUT_MPS : this.config.throughputMps;
    if (!this.state.takeThroughput(phone.id, mps)) {
      throw GraphApiError.whatsapp(
        130429,
        'Rate limit hit',
        'Cloud API message throughput has been reached.',
        400,
        2494055,
      );
    }
    const target = to ?? recipient ?? '';
    if (!this.state.takePairSlot(phone.id, target)) {
      throw GraphApiError.whatsapp(
        131056,
        '(Business Account, Consumer Account) pair rate limit hit',
        'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.',
      );
    }
    const wamid = `wamid.${randomBytes(30).toString('base64')}`;
    this.config.onMessageAccepted?.({
      id: wamid,
      phoneNumberId: phone.id,
      wabaId: waba.id,
      endpoint,
      to: target,
      template: template?.name ?? null,
      category,
      at: this.config.now().toISOString(),
    });
    const contact: JsonObject = to ? { input: to, wa_id: digits(to) } : { input: target, user_id: target };
    this.scheduleStatus(
      req,
      waba,
      phone,
      wamid,
      to ? digits(to) : target,
      template,
      category,
      asString(params.biz_opaque_callback_data),
    );
    return { messaging_product: 'whatsapp', contacts: [contact], messages: [{ id: wamid }] };
  }

  private resolveTemplate(waba: SimWaba, raw: JsonValue | undefined): SimTemplate {
    if (!isJsonObject(raw) || typeof raw.name !== 'string' || raw.name === '') {
      throw GraphApiError.whatsapp(131008, 'Required parameter is missing', 'Parameter template.name is required.');
    }
    if (!isJsonObject(raw.language) || typeof raw.language.code !== 'string') {
      throw GraphApiError.whatsapp(
        131008,
        'Required parameter is missing',
        'Parameter template.language.code is required.',
      );
    }
    const template = waba.templates[raw.name] ?? {
      name: raw.name,
      category: 'MARKETING',
      status: 'APPROVED',
      syncedAt: 0,
      usesBidSpec: false,
    };
    switch (template.status) {
      case 'APPROVED':
        return template;
      case 'PAUSED':
        throw GraphApiError.whatsapp(
          132015,
          'Template is Paused',
          'Template is paused due to low quality so it cannot be sent in a template message.',
        );
      case 'DISABLED':
        throw GraphApiError.whatsapp(
          132016,
          'Template is Disabled',
          'Template has been paused too many times due to low quality and is now permanently disabled.',
        );
      case 'PENDING':
      case 'REJECTED':
        throw GraphApiError.whatsapp(
          132001,
          'Template name does not exist in the translation',
          `template name (${template.name}) does not exist in ${raw.language.code}`,
          404,
        );
    }
  }

  /** Emits the status webhook of a send: asynchronous failures always, `sent` when configured (§5.7, §6.8). */
  private scheduleStatus(
    req: GraphRequest,
    waba: SimWaba,
    phone: SimPhoneNumber,
    wamid: string,
    recipientId: string,
    template: SimTemplate | null,
    category: string,
    callbackData: string | undefined,
  ): void {
    if (this.config.statusWebhooks === 'none' || !this.config.webhookUrl()) {
      return;
    }
    const marketing = template?.category === 'MARKETING';
    let outcome = this.state.recipients.get(recipientId);
    // Marketing templates to US (+1) numbers are not delivered since 2025-04-01 (§5.7).
    if (marketing && outcome === undefined && /^1\d{10}$/.test(recipientId)) {
      outcome = 'per_user_limit';
    }
    const status: JsonObject = {
      id: wamid,
      status: 'sent',
      timestamp: String(Math.floor(this.config.now().getTime() / 1000)),
      recipient_id: recipientId,
    };
    if (outcome && outcome !== 'delivered' && marketing) {
      const failure = ASYNC_FAILURES[outcome];
      status.status = 'failed';
      status.errors = [
        {
          code: failure.code,
          title: failure.title,
          message: failure.title,
          error_data: { details: failure.details },
          href: '/documentation/business-messaging/whatsapp/support/error-codes',
        },
      ];
    } else if (this.config.statusWebhooks === 'all') {
      const pricing: JsonObject = { billable: true, pricing_model: 'PMP', type: 'regular', category };
      if (Number(req.version.replace(/^v/, '')) < 24) {
        status.conversation = {
          id: randomBytes(16).toString('hex'),
          expiration_timestamp: String(Math.floor(this.config.now().getTime() / 1000) + 86400),
          origin: { type: category },
        };
        status.pricing = pricing;
      } else {
        // From v24.0 `sent` carries neither conversation nor pricing; pricing comes with `delivered` (§6.8).
        this.emitStatus(waba, phone, status, callbackData);
        this.emitStatus(waba, phone, { ...status, status: 'delivered', pricing }, callbackData);
        return;
      }
    } else {
      return;
    }
    this.emitStatus(waba, phone, status, callbackData);
  }

  private emitStatus(waba: SimWaba, phone: SimPhoneNumber, status: JsonObject, callbackData: string | undefined): void {
    const statusWithCallback: JsonObject =
      callbackData === undefined ? status : { ...status, biz_opaque_callback_data: callbackData };
    const value: JsonObject = {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: digits(phone.displayPhoneNumber), phone_number_id: phone.id },
      statuses: [statusWithCallback],
    };
    this.config.emitWebhook(this.config.buildWebhook('messages', value, waba.id, null));
  }

  // ---------------------------------------------------------------- business

  private businessRoute(req: GraphRequest, business: SimBusiness, edge: string | undefined): GraphResponse {
    const caller = this.requireUserToken(req);
    const isPartner = business.id === this.config.partnerBusinessId;
    if (!isPartner && !this.canSeeBusiness(caller, business)) {
      throw GraphApiError.unsupportedRequest(req.method, business.id);
    }
    const key = `${req.method} ${edge ?? ''}`;
    switch (key) {
      case 'GET ':
        return this.ok(this.renderBusiness(business, parseFields(asString(req.params.fields))));
      case 'GET client_whatsapp_business_accounts':
      case 'GET owned_whatsapp_business_accounts': {
        if (
          caller.record?.kind !== 'system_user' &&
          !(caller.record?.businessId === business.id && edge === 'owned_whatsapp_business_accounts')
        ) {
          throw new GraphApiError({ code: 200, httpStatus: 403, message: '(#200) Permissions error' });
        }
        const ids =
          edge === 'owned_whatsapp_business_accounts' ? business.wabaIds : isPartner ? this.state.wabaOrder : [];
        return this.ok(this.wabaList(ids, req));
      }
      case 'POST onboard_partners_to_mm_lite':
        return this.ok(this.onboardPartners(caller, business));
      default:
        throw GraphApiError.unsupportedRequest(req.method, edge ? `${business.id}/${edge}` : business.id);
    }
  }

  private renderBusiness(business: SimBusiness, selection: FieldSelection[] | null): JsonObject {
    const node = this.renderNode(
      selection ?? selectionOf(BUSINESS_DEFAULT),
      (field) => {
        switch (field.name) {
          case 'id':
            return business.id;
          case 'name':
            return business.name;
          case 'marketing_messages_onboarding_status':
            return business.termsStatus ? { ...business.termsStatus } : undefined;
          case 'verification_status':
            return 'verified';
          default:
            throw GraphApiError.nonexistingField(field.name, SIM_NODE_TYPE.business);
        }
      },
      business.id,
      // Meta's example of the business node's terms status carries no id (fixture), so none is appended.
      false,
    );
    return node;
  }

  private wabaList(ids: string[], req: GraphRequest): JsonObject {
    const filters = this.parseFilters(req.params.filtering);
    const sortParam = req.params.sort;
    const sort = Array.isArray(sortParam) ? sortParam.map(scalarText).join(',') : asString(sortParam);
    let wabas = ids
      .map((id) => this.state.wabas.get(id))
      .filter((waba): waba is SimWaba => waba !== undefined && waba.state !== 'DELETED' && waba.sharedWithPartner);
    if (filters.length > 0) {
      wabas = wabas.filter((waba) =>
        filters.every((filter) => {
          const rendered = this.renderWaba(waba, selectionOf([filter.field]), req, []);
          return this.matchesFilter(rendered[filter.field], filter.operator, filter.value);
        }),
      );
    }
    if (sort?.includes('creation_time_descending')) {
      wabas = [...wabas].sort((a, b) => b.creationTime - a.creationTime);
    } else if (sort?.includes('creation_time_ascending')) {
      wabas = [...wabas].sort((a, b) => a.creationTime - b.creationTime);
    }
    const selection = parseFields(asString(req.params.fields));
    return this.paginate(
      wabas,
      req,
      (waba) => this.renderWaba(waba, selection, req, WABA_LIST_DEFAULT),
      undefined,
      false,
    );
  }

  private onboardPartners(caller: GraphCaller, business: SimBusiness): JsonObject {
    if (caller.record?.kind !== 'system_user') {
      throw new GraphApiError({ code: 200, httpStatus: 403, message: '(#200) Permissions error' });
    }
    if (business.termsStatus?.status === 'TERM_OF_SERVICE_SIGNED') {
      throw GraphApiError.invalidParameter('(#100) Invalid recipient type');
    }
    if (business.termsStatus?.status === 'REQUEST_SENT') {
      throw new GraphApiError({ code: 1752041, httpStatus: 400, message: '(#1752041) Duplicate Request' });
    }
    business.mmRequestId = String(randomInt(100_000_000, 999_999_999)) + String(randomInt(100_000, 999_999));
    business.termsStatus = { status: 'REQUEST_SENT', time: this.config.now().toISOString().slice(0, 10) };
    return { request_id: business.mmRequestId };
  }
}
