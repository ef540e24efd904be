import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { GraphApiError } from 'src/meta-simulator/graph/graph-api.error';
import { GraphApiHandler } from 'src/meta-simulator/graph/graph-api.handler';
import type { GraphRequest } from 'src/meta-simulator/graph/graph-api.types';
import { GraphUsageMeter } from 'src/meta-simulator/graph/graph-usage.meter';

import { ControlApiHandler } from './control-api.handler';
import { FaultInjector } from './fault.injector';
import { isJsonObject, paramsFromSearch, parseBody, readBody, writeJson, writeRaw } from './http-io.util';
import {
  SIM_DEFAULT_BUC_CALL_BUDGET,
  SIM_DEFAULT_BUSINESS_TOKEN_TTL_SECONDS,
  SIM_DEFAULT_CODE_TTL_SECONDS,
  SIM_DEFAULT_GRAPH_VERSION,
  SIM_DEFAULT_THROUGHPUT_MPS,
  SIM_DEMO_IDS,
  SIM_OVERSIZED_ITEMS,
  SIM_REDACTED,
  SIM_REDACTED_KEYS,
} from './meta-simulator.constants';
import type {
  BusinessTermsStatus,
  CreatePhoneNumberInput,
  CreateSignupSessionInput,
  CreateWabaInput,
  FaultError,
  FaultKind,
  FaultRule,
  IssueTokenInput,
  JsonObject,
  JsonValue,
  MetaSimulatorOptions,
  RecipientOutcome,
  SendWebhookOptions,
  SignupSession,
  SimBusiness,
  SimEventParams,
  SimEventType,
  SimPhoneNumber,
  SimRequestLogEntry,
  SimSentMessage,
  SimWaba,
  SimWabaState,
  UpdatePhoneNumberInput,
  UpdateWabaInput,
  WebhookDelivery,
} from './meta-simulator.types';
import { ScenarioEventApplier } from './scenario-event.applier';
import { SimulatorStateStore, type SimulatorStoreSnapshot, tokenIdOf } from './simulator-state.store';
import { WebhookEmitter } from './webhook.emitter';

/** The demo objects seeded by {@link MetaSimulator.seedDemo}. */
export interface SimDemoSeed {
  businessId: string;
  wabaId: string;
  phoneNumberId: string;
  token: string;
}

/** Version of {@link SimulatorSnapshot}; bump it when the shape changes incompatibly. */
export const SIMULATOR_SNAPSHOT_VERSION = 1;

/**
 * The simulator's world as plain JSON (businesses, WABAs, numbers, tokens, PINs, terms statuses,
 * subscriptions…): what {@link MetaSimulator.exportState} returns and {@link MetaSimulator.importState}
 * accepts. Not included: request log, faults, latency, webhook deliveries, signup codes, rate counters.
 */
export interface SimulatorSnapshot extends SimulatorStoreSnapshot {
  version: typeof SIMULATOR_SNAPSHOT_VERSION;
  /** App the state belongs to; a snapshot of another app is refused. */
  appId: string;
  /** ISO time of the export. */
  exportedAt: string;
  /** WABA id → MM status restored on REINSTATE. */
  mmBeforeInactive: Record<string, string>;
}

const SNAPSHOT_ARRAYS = ['businesses', 'wabas', 'phoneNumbers', 'subscriptions', 'recipients', 'tokens'] as const;

/** What the `malformed` faults answer with status 200: a proxy's error page instead of Graph JSON. */
const UNREADABLE_BODY = '<!DOCTYPE html><html><body>Sorry, something went wrong.</body></html>';

type AcceptThenFault = Extract<FaultKind, 'accept_then_hang' | 'accept_then_reset' | 'accept_then_malformed'>;

function isAcceptThenFault(kind: FaultKind): kind is AcceptThenFault {
  return kind === 'accept_then_hang' || kind === 'accept_then_reset' || kind === 'accept_then_malformed';
}

const VERSION_PREFIX = /^\/(v\d+(?:\.\d+)?)(?=\/|$)/;

function traceId(): string {
  return randomBytes(16)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 23);
}

/** Default HTTP status per Graph code (§1.5; Graph's default for the rest is 400). */
function defaultHttpStatus(code: number): number {
  if (code === 190 || code === 0) {
    return 401;
  }
  if ([3, 10, 200, 368, 131031, 130497].includes(code) || (code > 200 && code < 300)) {
    return 403;
  }
  if ([2, 133004].includes(code)) {
    return 503;
  }
  if ([131000, 131016, 131045, 131057, 133000, 134102].includes(code)) {
    return 500;
  }
  return 400;
}

/** A well-formed list page of `items` numbers and no `paging`: all of it in one answer. */
function oversizedListBody(items: number): string {
  const entries = Array.from(
    { length: items },
    (_unused, index) => `{"id":"${900000000000000 + index}","display_phone_number":"+1 555-${index}"}`,
  );
  return `{"data":[${entries.join(',')}]}`;
}

/**
 * What a `partial` fault makes of a successful answer: the rule's fields left out of (or nulled in) each
 * node it carries, whether the node is the answer, an entry of its `data` list or, for a multi-ID read, one
 * of the IDs' values.
 */
function partialAnswer(body: JsonValue, rule: FaultRule, multiId: boolean): JsonValue {
  const trim = (node: JsonValue): JsonValue => {
    if (!isJsonObject(node)) {
      return node;
    }
    const copy: JsonObject = { ...node };
    for (const field of rule.omitFields ?? []) {
      delete copy[field];
    }
    for (const field of rule.nullFields ?? []) {
      copy[field] = null;
    }
    if (Array.isArray(copy.data)) {
      copy.data = copy.data.map(trim);
    }
    return copy;
  };
  if (multiId && isJsonObject(body)) {
    return Object.fromEntries(Object.entries(body).map(([id, node]) => [id, trim(node)]));
  }
  return trim(body);
}

function redact(value: JsonValue | null): JsonValue | null {
  if (!isJsonObject(value)) {
    return value;
  }
  const copy: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = SIM_REDACTED_KEYS.has(key) ? SIM_REDACTED : item;
  }
  return copy;
}

/**
 * A stateful, in-memory imitation of the parts of Meta's Graph API this service uses, served over
 * `node:http`, plus a signed-webhook emitter and a control API under `/_sim/` (see README.md).
 * Behaviour follows /work/shared/meta/graph-api-reference.md; state lives in Maps keyed by id.
 */
export class MetaSimulator {
  private readonly state: SimulatorStateStore;
  private readonly faults: FaultInjector;
  private readonly emitter: WebhookEmitter;
  private readonly graph: GraphApiHandler;
  private readonly events: ScenarioEventApplier;
  private readonly control: ControlApiHandler;
  private readonly now: () => Date;
  private readonly log: SimRequestLogEntry[] = [];
  private readonly accepted: SimSentMessage[] = [];
  private readonly sentWebhooks: WebhookDelivery[] = [];
  private readonly pendingWebhooks = new Set<Promise<WebhookDelivery>>();
  private readonly latencyTimers = new Set<NodeJS.Timeout>();
  private readonly hanging = new Set<ServerResponse>();
  private server: Server | null = null;
  private origin = '';
  private webhookUrl: string | null;
  private bucCallBudget: number;

  constructor(private readonly options: MetaSimulatorOptions) {
    this.now = options.now ?? (() => new Date());
    this.webhookUrl = options.webhookUrl ?? null;
    this.bucCallBudget = options.bucCallBudget ?? SIM_DEFAULT_BUC_CALL_BUDGET;
    this.state = new SimulatorStateStore(this.now, options.appId);
    this.faults = new FaultInjector(options.latencyMs ?? 0);
    this.emitter = new WebhookEmitter(options.appSecret, this.now);
    const partnerBusinessId = options.partnerBusinessId ?? SIM_DEMO_IDS.partnerBusinessId;
    this.graph = new GraphApiHandler(this.state, {
      appId: options.appId,
      appSecret: options.appSecret,
      appName: options.appName ?? 'WhatsApp Assets Sandbox',
      partnerBusinessId,
      bucCallBudget: () => this.bucCallBudget,
      throughputMps: options.throughputMps ?? SIM_DEFAULT_THROUGHPUT_MPS,
      statusWebhooks: options.statusWebhooks ?? 'failed',
      webhookUrl: () => this.webhookUrl,
      now: this.now,
      emitWebhook: (payload) => {
        this.deliverInBackground(payload);
      },
      buildWebhook: (field, value, entryId, time) => this.emitter.build(field, value, entryId, time),
      onMessageAccepted: (message) => {
        this.accepted.push(message);
        this.trim(this.accepted);
      },
    });
    this.events = new ScenarioEventApplier(this.state, {
      appId: options.appId,
      partnerBusinessId,
      now: this.now,
      build: (field, value, entryId) => this.emitter.build(field, value, entryId),
    });
    this.control = new ControlApiHandler(this);
    this.initialiseState();
  }

  private initialiseState(): void {
    const partnerBusinessId = this.options.partnerBusinessId ?? SIM_DEMO_IDS.partnerBusinessId;
    if (!this.state.businesses.has(partnerBusinessId)) {
      this.state.createBusiness({ id: partnerBusinessId, name: 'Solution Partner (simulated)' });
    }
    if (this.options.systemUserToken && !this.state.findToken(this.options.systemUserToken)) {
      this.state.registerToken(this.options.systemUserToken, 'system_user', []);
    }
  }

  /** Tells the owner (sandbox persistence) that exported state may have changed. */
  private changed(): void {
    this.options.onStateChange?.();
  }

  // ------------------------------------------------------------------ snapshot

  /** The whole Graph-visible state as plain JSON, for persisting across restarts (see {@link importState}). */
  exportState(): SimulatorSnapshot {
    return {
      version: SIMULATOR_SNAPSHOT_VERSION,
      appId: this.options.appId,
      exportedAt: this.now().toISOString(),
      ...this.state.exportState(),
      mmBeforeInactive: this.events.exportState(),
    };
  }

  /**
   * Replaces the state with a snapshot from {@link exportState} (faults, latency and the request log stay).
   * Throws, leaving the state untouched, for an unknown version, another app's snapshot or a malformed one.
   */
  importState(snapshot: unknown): void {
    if (!isJsonObject(snapshot as JsonValue)) {
      throw new Error('Simulator snapshot is not an object');
    }
    const candidate = snapshot as Partial<SimulatorSnapshot> & Record<string, unknown>;
    if (candidate.version !== SIMULATOR_SNAPSHOT_VERSION) {
      throw new Error(`Unsupported simulator snapshot version ${String(candidate.version)}`);
    }
    if (candidate.appId !== this.options.appId) {
      throw new Error('Simulator snapshot belongs to another Meta app id');
    }
    for (const key of SNAPSHOT_ARRAYS) {
      if (!Array.isArray(candidate[key])) {
        throw new Error(`Simulator snapshot is malformed: "${key}" is not an array`);
      }
    }
    for (const key of ['registrations', 'mmBeforeInactive'] as const) {
      if (!isJsonObject(candidate[key])) {
        throw new Error(`Simulator snapshot is malformed: "${key}" is not an object`);
      }
    }
    if (typeof candidate.phoneSequence !== 'number') {
      throw new Error('Simulator snapshot is malformed: "phoneSequence" is not a number');
    }
    const valid = candidate as SimulatorSnapshot;
    this.state.importState(valid);
    this.events.importState(valid.mmBeforeInactive);
    this.initialiseState();
  }

  // ------------------------------------------------------------------ lifecycle

  /** Starts listening; resolves to the origin URL (no version), e.g. `http://127.0.0.1:4321`. */
  start(port = 0, host = '127.0.0.1'): Promise<string> {
    if (this.server) {
      return Promise.resolve(this.origin);
    }
    const server = createServer((req, res) => {
      this.onRequest(req, res).catch(() => {
        writeJson(res, 500, { error: { message: 'Simulator failure', type: 'OAuthException', code: 1 } });
      });
    });
    server.keepAliveTimeout = 5000;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        const address = server.address() as AddressInfo;
        const printableHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
        this.origin = `http://${printableHost}:${address.port}`;
        resolve(this.origin);
      });
    });
  }

  /** Stops listening and drops every open socket (keep-alive and hanging requests included). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const timer of this.latencyTimers) {
      clearTimeout(timer);
    }
    this.latencyTimers.clear();
    this.emitter.abortAll();
    for (const res of this.hanging) {
      res.destroy();
    }
    this.hanging.clear();
    if (!server) {
      return;
    }
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Origin URL of the running server (empty before start). */
  get url(): string {
    return this.origin;
  }

  /** Clears every object, token, fault, counter and log; configuration (app, webhook URL) stays. */
  reset(): void {
    this.state.clear();
    this.events.clear();
    this.faults.reset(this.options.latencyMs ?? 0);
    this.log.length = 0;
    this.accepted.length = 0;
    this.sentWebhooks.length = 0;
    this.bucCallBudget = this.options.bucCallBudget ?? SIM_DEFAULT_BUC_CALL_BUDGET;
    this.initialiseState();
    this.changed();
  }

  // ------------------------------------------------------------------ state

  createBusiness(input: { id?: string; name?: string } = {}): { id: string; name: string } {
    const business = this.state.createBusiness(input);
    this.changed();
    return { id: business.id, name: business.name };
  }

  /** Creates a WABA (and its business when needed). Defaults: ACTIVE, APPROVED, verified, ELIGIBLE. */
  createWaba(input: CreateWabaInput = {}): SimWaba {
    const waba = structuredClone(this.state.createWaba(input));
    this.changed();
    return waba;
  }

  /** Adds a number to a WABA. Defaults: CONNECTED on CLOUD_API, GREEN, name APPROVED. */
  createPhoneNumber(input: CreatePhoneNumberInput): SimPhoneNumber {
    const phone = structuredClone(this.state.createPhoneNumber(input));
    this.changed();
    return phone;
  }

  updateWaba(wabaId: string, patch: UpdateWabaInput): SimWaba {
    const waba = structuredClone(this.state.updateWaba(wabaId, patch));
    this.changed();
    return waba;
  }

  updatePhoneNumber(phoneNumberId: string, patch: UpdatePhoneNumberInput): SimPhoneNumber {
    const phone = structuredClone(this.state.updatePhoneNumber(phoneNumberId, patch));
    this.changed();
    return phone;
  }

  /** Moves a number to another WABA, as Meta's number migration does; its ID and fields stay. */
  movePhoneNumber(phoneNumberId: string, wabaId: string): SimPhoneNumber {
    const phone = structuredClone(this.state.movePhoneNumber(phoneNumberId, wabaId));
    this.changed();
    return phone;
  }

  /** Sets the business portfolio's MM Lite terms status (null = Meta reports none). */
  setBusinessTermsStatus(businessId: string, status: BusinessTermsStatus | null): void {
    this.state.setBusinessTermsStatus(businessId, status);
    this.changed();
  }

  getWaba(wabaId: string): SimWaba | undefined {
    const waba = this.state.wabas.get(wabaId);
    return waba ? structuredClone(waba) : undefined;
  }

  getPhoneNumber(phoneNumberId: string): SimPhoneNumber | undefined {
    const phone = this.state.phones.get(phoneNumberId);
    return phone ? structuredClone(phone) : undefined;
  }

  getBusiness(businessId: string): SimBusiness | undefined {
    const business = this.state.businesses.get(businessId);
    return business ? structuredClone(business) : undefined;
  }

  /** A WABA with its business, numbers, subscription and BUC count (control API `GET /_sim/state/wabas/:id`). */
  getWabaState(wabaId: string): SimWabaState | undefined {
    const waba = this.state.wabas.get(wabaId);
    if (!waba) {
      return undefined;
    }
    const subscription = this.state.subscriptions.get(wabaId);
    return structuredClone({
      waba,
      business: this.state.businesses.get(waba.businessId) ?? null,
      phoneNumbers: waba.phoneNumberIds
        .map((id) => this.state.phones.get(id))
        .filter((phone): phone is SimPhoneNumber => phone !== undefined),
      subscribedApps: subscription
        ? [{ appId: this.options.appId, overrideCallbackUri: subscription.overrideCallbackUri }]
        : [],
      bucCallCount: this.state.bucCount(wabaId),
    });
  }

  /** Sets how a recipient's template sends end asynchronously (status webhook, §5.7). */
  setRecipientOutcome(recipient: string, outcome: RecipientOutcome): void {
    this.state.recipients.set(recipient.replace(/\D/g, '') || recipient, outcome);
    this.changed();
  }

  /** Changes the BUC budget (calls per WABA per hour) at runtime. */
  setBucCallBudget(budget: number): void {
    this.bucCallBudget = budget;
  }

  // ------------------------------------------------------------------ tokens & signup

  /** Issues a token granted `wabaIds` (newest first). Kind `business` by default; null expiry = never. */
  issueToken(input: IssueTokenInput): string {
    for (const wabaId of input.wabaIds) {
      this.state.requireWaba(wabaId);
    }
    const token = this.state.issueToken(input).token;
    this.changed();
    return token;
  }

  /** Opaque id of a token as the request log shows it. */
  tokenId(token: string): string {
    return tokenIdOf(token);
  }

  /** Makes the token expired from now on (190/463). */
  expireToken(token: string): void {
    this.state.requireToken(token).expiresAt = this.now().getTime() - 1000;
    this.changed();
  }

  /** Invalidates the token (190/467), as when the user logs out or the app is removed. */
  invalidateToken(token: string): void {
    this.state.requireToken(token).invalidated = true;
    this.changed();
  }

  /**
   * What Embedded Signup leaves behind: a business (new or given), a WABA (new, or `existingWabaId`),
   * a new unregistered number and a single-use code (TTL `codeTtlSeconds`) exchanging to a business
   * token granted that WABA.
   */
  createSignupSession(input: CreateSignupSessionInput = {}): SignupSession {
    let waba: SimWaba;
    if (input.existingWabaId) {
      waba = this.state.requireWaba(input.existingWabaId);
    } else {
      let businessId = input.businessId;
      if (!businessId || !this.state.businesses.has(businessId)) {
        businessId = this.state.createBusiness({ id: businessId, name: input.businessName }).id;
      }
      const business = this.state.businesses.get(businessId);
      waba = this.state.createWaba({
        businessId,
        name: input.wabaName ?? `${business?.name ?? 'Business'} WhatsApp`,
      });
    }
    const phone = this.state.createPhoneNumber({
      wabaId: waba.id,
      displayPhoneNumber: input.displayPhoneNumber,
      verifiedName: waba.name,
      status: 'PENDING',
      platformType: 'NOT_APPLICABLE',
      nameStatus: 'PENDING_REVIEW',
    });
    const token = this.state.issueToken({
      wabaIds: [waba.id],
      businessId: waba.businessId,
      expiresInSeconds:
        input.tokenExpiresInSeconds === undefined
          ? SIM_DEFAULT_BUSINESS_TOKEN_TTL_SECONDS
          : input.tokenExpiresInSeconds,
    });
    const code = this.state.createCode(token.token, this.options.codeTtlSeconds ?? SIM_DEFAULT_CODE_TTL_SECONDS);
    this.changed();
    if (input.emitWebhooks && this.webhookUrl) {
      for (const type of ['PARTNER_ADDED', 'PARTNER_APP_INSTALLED'] as const) {
        for (const payload of this.events.apply(waba.id, type).payloads) {
          this.deliverInBackground(payload);
        }
      }
    }
    return { code, wabaId: waba.id, phoneNumberId: phone.id, businessId: waba.businessId };
  }

  /**
   * Seeds Meta's documentation sample objects (§0): business 506914307656634, WABA 102290129340398
   * "Lucky Shrub" (subscribed) and registered number 106540352242922, plus a non-expiring business token.
   */
  seedDemo(): SimDemoSeed {
    const businessId = SIM_DEMO_IDS.businessId;
    if (!this.state.businesses.has(businessId)) {
      this.state.createBusiness({ id: businessId, name: 'Lucky Shrub' });
    }
    if (!this.state.wabas.has(SIM_DEMO_IDS.wabaId)) {
      this.state.createWaba({
        id: SIM_DEMO_IDS.wabaId,
        businessId,
        name: 'Lucky Shrub',
        messageTemplateNamespace: '93d3e793_8a4f_49c4_b903_fd72aac80f71',
        subscribed: true,
      });
    }
    if (!this.state.phones.has(SIM_DEMO_IDS.phoneNumberId)) {
      this.state.createPhoneNumber({
        id: SIM_DEMO_IDS.phoneNumberId,
        wabaId: SIM_DEMO_IDS.wabaId,
        displayPhoneNumber: SIM_DEMO_IDS.displayPhoneNumber,
        verifiedName: 'Lucky Shrub',
        pin: '123456',
      });
    }
    const token = this.state.issueToken({ wabaIds: [SIM_DEMO_IDS.wabaId], businessId, expiresInSeconds: null }).token;
    this.changed();
    return { businessId, wabaId: SIM_DEMO_IDS.wabaId, phoneNumberId: SIM_DEMO_IDS.phoneNumberId, token };
  }

  // ------------------------------------------------------------------ faults & latency

  /** Adds a fault rule (first matching rule wins); returns its id. */
  injectFault(rule: FaultRule): string {
    if (rule.kind === 'meta_error' && !rule.error) {
      throw new Error('A meta_error fault needs an error {code, …}');
    }
    return this.faults.add(rule);
  }

  removeFault(id: string): boolean {
    return this.faults.remove(id);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  listFaults(): Array<FaultRule & { id: string; remaining: number | null }> {
    return this.faults.list();
  }

  /** Latency of every Graph call, or of the calls whose path matches `pathPattern`. */
  setLatency(ms: number, pathPattern?: string): void {
    this.faults.setLatency(ms, pathPattern);
  }

  // ------------------------------------------------------------------ request log

  /** Every Graph call received, oldest first (secrets redacted). A live read-only view. */
  get requests(): readonly SimRequestLogEntry[] {
    return this.log;
  }

  clearRequests(): void {
    this.log.length = 0;
  }

  /**
   * Every message Meta accepted, oldest first, including those whose answer an `accept_then_*` fault lost:
   * what recipients may have received, whatever the client was told. A live read-only view.
   */
  get sentMessages(): readonly SimSentMessage[] {
    return this.accepted;
  }

  // ------------------------------------------------------------------ webhooks & events

  setWebhookUrl(url: string | null): void {
    this.webhookUrl = url;
  }

  get currentWebhookUrl(): string | null {
    return this.webhookUrl;
  }

  /** Every webhook delivered so far (scenario events, status webhooks and raw sends), oldest first. */
  get webhooks(): readonly WebhookDelivery[] {
    return this.sentWebhooks;
  }

  /** An `object/entry/changes` envelope with one change (`time` null leaves `entry.time` out). */
  buildWebhook(field: string, value: JsonObject, entryId: string, time?: number | null): JsonObject {
    return this.emitter.build(field, value, entryId, time);
  }

  /** Signature header value Meta would send for this exact body. */
  signWebhook(body: string): string {
    return this.emitter.sign(body);
  }

  /** Delivers an arbitrary payload (object, or a raw string sent byte for byte), signed unless overridden. */
  async sendWebhook(payload: JsonValue | string, options: SendWebhookOptions = {}): Promise<WebhookDelivery> {
    const url = options.url ?? this.webhookUrl;
    if (!url) {
      throw new Error('No webhook URL configured');
    }
    const delivery = await this.emitter.send(url, payload, options);
    this.sentWebhooks.push(delivery);
    return delivery;
  }

  /** Waits for status webhooks still being delivered in the background. */
  async flushWebhooks(): Promise<void> {
    while (this.pendingWebhooks.size > 0) {
      await Promise.allSettled([...this.pendingWebhooks]);
    }
  }

  private deliverInBackground(payload: JsonObject): void {
    if (!this.webhookUrl) {
      return;
    }
    const promise = this.sendWebhook(payload).catch((): WebhookDelivery => ({
      url: '',
      body: '',
      signature: '',
      status: 0,
    }));
    this.pendingWebhooks.add(promise);
    void promise.finally(() => this.pendingWebhooks.delete(promise));
  }

  /**
   * Changes the WABA as Meta would for the event and, when a webhook URL is set (and not `silent`),
   * delivers the matching signed webhooks. Resolves to the delivery about this WABA, or null when none
   * was sent. Events whose webhook concerns the whole portfolio (MM_LITE_TERMS_SIGNED) send one per WABA.
   */
  async applyEvent(wabaId: string, type: SimEventType, params: SimEventParams = {}): Promise<WebhookDelivery | null> {
    const applied = this.events.apply(wabaId, type, params);
    this.changed();
    if (params.silent || !this.webhookUrl || applied.payloads.length === 0) {
      return null;
    }
    let primary: WebhookDelivery | null = null;
    for (const [index, payload] of applied.payloads.entries()) {
      const delivery = await this.sendWebhook(payload);
      if (index === applied.primary) {
        primary = delivery;
      }
    }
    return primary;
  }

  // ------------------------------------------------------------------ HTTP

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator.local');
    if (url.pathname === '/_sim' || url.pathname.startsWith('/_sim/')) {
      await this.control.handle(req, res, url);
      return;
    }
    await this.onGraphRequest(req, res, url);
  }

  private async delay(ms: number): Promise<void> {
    if (ms <= 0) {
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.latencyTimers.delete(timer);
        resolve();
      }, ms);
      this.latencyTimers.add(timer);
    });
  }

  private async onGraphRequest(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const versionMatch = VERSION_PREFIX.exec(url.pathname);
    const versionPrefix = versionMatch ? versionMatch[1] : null;
    const rest = versionMatch ? url.pathname.slice(versionMatch[0].length) : url.pathname;
    const segments = rest
      .split('/')
      .filter((segment) => segment !== '')
      .map((segment) => decodeURIComponent(segment));
    const path = `/${segments.join('/')}`;
    const version = versionPrefix ?? this.options.defaultVersion ?? SIM_DEFAULT_GRAPH_VERSION;

    const raw = await readBody(req).catch(() => Buffer.alloc(0));
    const parsed = parseBody(req.headers['content-type'], raw);
    const body = parsed.ok ? parsed.value : null;
    const params: JsonObject = { ...paramsFromSearch(url.searchParams), ...(isJsonObject(body) ? body : {}) };
    const authorization = req.headers.authorization;
    const bearer =
      authorization && /^(Bearer|OAuth)\s+/i.test(authorization) ? authorization.replace(/^\S+\s+/, '').trim() : null;
    const token = bearer ?? (typeof params.access_token === 'string' ? params.access_token : null);
    const caller = this.graph.identify(token);

    const trace = traceId();
    const headers: Record<string, string> = {
      'facebook-api-version': version,
      'x-fb-trace-id': trace,
      'x-fb-request-id': traceId(),
      'x-fb-rev': '1020304050',
      'X-App-Usage': this.graph.appUsage(),
      'Cache-Control': 'private, no-cache, no-store, must-revalidate',
    };
    const query: Record<string, string> = {};
    url.searchParams.forEach((value, key) => {
      query[key] = SIM_REDACTED_KEYS.has(key) ? SIM_REDACTED : value;
    });
    const entry: SimRequestLogEntry = {
      method,
      path,
      version: versionPrefix,
      query,
      body: redact(body),
      tokenKind: caller.kind,
      status: 0,
      at: this.now().toISOString(),
    };
    if (token) {
      entry.tokenId = tokenIdOf(token);
    }
    if (segments.length === 0 && typeof params.ids === 'string') {
      entry.ids = params.ids
        .split(',')
        .map((id) => id.trim())
        .filter((id) => id !== '');
    }
    this.appendLog(entry);

    await this.delay(this.faults.latencyFor(path));
    const fault = this.faults.take(method, path);
    if (fault?.kind === 'hang') {
      // Never answer: the client's timeout is what is under test. stop() drops the socket.
      this.hold(res);
      return;
    }
    if (fault?.kind === 'oversized') {
      entry.status = 200;
      writeRaw(res, 200, oversizedListBody(fault.items ?? SIM_OVERSIZED_ITEMS), {
        ...headers,
        'Content-Type': 'application/json; charset=UTF-8',
      });
      return;
    }
    if (fault?.kind === 'malformed') {
      entry.status = 200;
      writeRaw(res, 200, UNREADABLE_BODY, { ...headers, 'Content-Type': 'application/json; charset=UTF-8' });
      return;
    }
    // `accept_then_*`: Meta processes the request (a send goes out), then its answer is lost on the way back.
    const answerLost = fault && isAcceptThenFault(fault.kind) ? fault.kind : null;
    const answer = (status: number, body: JsonValue, extra: Record<string, string>): void => {
      entry.status = status;
      switch (answerLost) {
        case null:
          writeJson(res, status, body, { ...headers, ...extra });
          return;
        case 'accept_then_hang':
          this.hold(res);
          return;
        case 'accept_then_reset':
          // A TCP reset, as a proxy or a dropped connection would give, rather than a clean close.
          res.socket?.resetAndDestroy();
          return;
        case 'accept_then_malformed':
          writeRaw(res, 200, UNREADABLE_BODY, { ...headers, 'Content-Type': 'application/json; charset=UTF-8' });
          return;
      }
    };
    try {
      if (fault && !answerLost && fault.kind !== 'partial') {
        throw this.faultError(fault, segments);
      }
      if (!parsed.ok) {
        throw GraphApiError.invalidParameter('(#100) Invalid JSON in the request body');
      }
      const request: GraphRequest = {
        method,
        path,
        segments,
        version,
        query: url.searchParams,
        params,
        token,
        origin: this.origin,
      };
      const response = this.graph.handle(request);
      const body =
        fault?.kind === 'partial' && response.status === 200
          ? partialAnswer(response.body, fault, segments.length === 0)
          : response.body;
      answer(response.status, body, response.headers);
    } catch (error) {
      const graphError =
        error instanceof GraphApiError
          ? error
          : new GraphApiError({ code: 1, httpStatus: 500, message: 'An unknown error occurred', isTransient: true });
      answer(graphError.httpStatus, graphError.toBody(trace), graphError.headers);
    } finally {
      // Writes (register, subscribe, PIN, MM Lite onboarding…) may change state even when they fail (the
      // registration limit counts attempts); reads only touch rate counters, which are not persisted.
      if (method !== 'GET' && method !== 'HEAD') {
        this.changed();
      }
    }
  }

  /** Keeps a request open without answering until the client gives up or stop() drops it. */
  private hold(res: ServerResponse): void {
    this.hanging.add(res);
    res.on('close', () => this.hanging.delete(res));
  }

  private appendLog(entry: SimRequestLogEntry): void {
    this.log.push(entry);
    this.trim(this.log);
  }

  /** Keeps a log at `maxLoggedRequests`, trimming in batches so it stays amortised O(1) per entry. */
  private trim(log: unknown[]): void {
    const max = this.options.maxLoggedRequests ?? 50_000;
    if (log.length > max + Math.ceil(max / 10)) {
      log.splice(0, log.length - max);
    }
  }

  private faultError(fault: FaultRule, segments: string[]): GraphApiError {
    const explicit = (error: FaultError | undefined, fallback: FaultError): GraphApiError => {
      const spec = error ?? fallback;
      const httpStatus = spec.httpStatus ?? defaultHttpStatus(spec.code);
      const message = spec.message ?? `(#${spec.code}) Simulated error`;
      if (spec.code === 190) {
        const tokenError = GraphApiError.tokenError(message, spec.subcode);
        return new GraphApiError({ ...spec, message, httpStatus, headers: tokenError.headers });
      }
      return new GraphApiError({ ...spec, message, httpStatus });
    };
    switch (fault.kind) {
      case 'http500':
        return explicit(fault.error, {
          code: 1,
          httpStatus: 500,
          message: 'An unknown error occurred',
          isTransient: true,
        });
      case 'http503':
        return explicit(fault.error, {
          code: 2,
          httpStatus: 503,
          message: 'Service temporarily unavailable',
          isTransient: true,
        });
      case 'transient':
        return explicit(fault.error, {
          code: 131000,
          httpStatus: 500,
          message: '(#131000) Something went wrong',
          details: 'Something went wrong',
        });
      case 'throttle': {
        const wabaId = this.graph.wabaOfPath(segments) ?? 'unknown';
        const regain = fault.regainMinutes ?? 5;
        return GraphApiError.bucThrottled({
          'X-Business-Use-Case-Usage': GraphUsageMeter.bucHeader([{ wabaId, percent: 100, regainMinutes: regain }]),
        });
      }
      case 'app_throttle':
        return GraphApiError.appThrottled({
          'X-App-Usage': JSON.stringify({ call_count: 100, total_time: 100, total_cputime: 100 }),
        });
      case 'waba_throttle':
        return GraphApiError.wabaThrottled();
      case 'expired_token': {
        const now = this.now();
        return GraphApiError.expiredToken(new Date(now.getTime() - 3_600_000), now);
      }
      case 'invalid_token':
        return GraphApiError.invalidatedToken();
      case 'meta_error':
        return explicit(fault.error, { code: 1, message: 'An unknown error occurred' });
      case 'hang':
      case 'malformed':
      case 'oversized':
      case 'accept_then_hang':
      case 'accept_then_reset':
      case 'accept_then_malformed':
      case 'partial':
        throw new Error(`Fault ${fault.kind} is answered before error rendering`);
      default: {
        const unknown: never = fault.kind;
        throw new Error(`Unknown fault kind ${String(unknown)}`);
      }
    }
  }
}
