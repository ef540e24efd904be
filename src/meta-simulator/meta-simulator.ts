import { GraphApiHandler } from 'src/meta-simulator/graph/graph-api.handler';

import { BoundedLog } from './bounded-log';
import { ControlApiHandler } from './control-api.handler';
import { FaultInjector } from './fault.injector';
import { GraphHttpEndpoint } from './graph-http.endpoint';
import {
  SIM_DEFAULT_BUC_CALL_BUDGET,
  SIM_DEFAULT_GRAPH_VERSION,
  SIM_DEFAULT_THROUGHPUT_MPS,
  SIM_DEMO_IDS,
} from './meta-simulator.constants';
import type {
  BusinessTermsStatus,
  CreatePhoneNumberInput,
  CreateSignupSessionInput,
  CreateWabaInput,
  FaultRule,
  IssueTokenInput,
  JsonObject,
  JsonValue,
  MarketingPreference,
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
  StatusDelaysMs,
  StatusWebhookMode,
  StatusWebhookSettings,
  UpdatePhoneNumberInput,
  UpdateWabaInput,
  WebhookDelivery,
} from './meta-simulator.types';
import { checkedOutcome, recipientKey } from './recipient-identity';
import { ScenarioEventApplier } from './scenario-event.applier';
import { SimulatorHttpServer } from './simulator-http.server';
import { configuredStatusSettings, updateStatusSettings } from './status-webhook.settings';
import { type SimDemoSeed, SimulatorSeeder } from './simulator-seeder';
import { checkedSnapshot, SIMULATOR_SNAPSHOT_VERSION, type SimulatorSnapshot } from './simulator-snapshot';
import { SimulatorStateStore, tokenIdOf } from './simulator-state.store';
import { applyUserPreference } from './user-preference.webhook';
import { WebhookEmitter } from './webhook.emitter';
import { routeWebhook } from './webhook-routing';

export { type SimDemoSeed } from './simulator-seeder';
export { SIMULATOR_SNAPSHOT_VERSION, type SimulatorSnapshot } from './simulator-snapshot';

/**
 * A stateful, in-memory imitation of the parts of Meta's Graph API this service uses, served over
 * `node:http`, plus a signed-webhook emitter and a control API under `/_sim/` (see README.md).
 * Behaviour follows /work/shared/meta/graph-api-reference.md; state lives in Maps keyed by id.
 */
export class MetaSimulator {
  private readonly state: SimulatorStateStore;
  private readonly faults: FaultInjector;
  private readonly emitter: WebhookEmitter;
  private readonly events: ScenarioEventApplier;
  private readonly control: ControlApiHandler;
  private readonly seeder: SimulatorSeeder;
  private readonly http: SimulatorHttpServer;
  private readonly graphEndpoint: GraphHttpEndpoint;
  private readonly now: () => Date;
  private readonly log: BoundedLog<SimRequestLogEntry>;
  private readonly accepted: BoundedLog<SimSentMessage>;
  private bucCallBudget: number;
  /** Shared with the Graph handlers, changed in place by {@link setStatusWebhooks}. */
  private readonly statusSettings: StatusWebhookSettings;

  constructor(private readonly options: MetaSimulatorOptions) {
    this.now = options.now ?? (() => new Date());
    this.bucCallBudget = options.bucCallBudget ?? SIM_DEFAULT_BUC_CALL_BUDGET;
    this.statusSettings = configuredStatusSettings(this.options);
    this.log = new BoundedLog(options.maxLoggedRequests ?? 50_000);
    this.accepted = new BoundedLog(options.maxLoggedRequests ?? 50_000);
    this.state = new SimulatorStateStore(this.now, options.appId);
    this.faults = new FaultInjector(options.latencyMs ?? 0);
    this.emitter = new WebhookEmitter(options.appSecret, this.now, options.webhookUrl ?? null);
    this.emitter.router = (payload) => routeWebhook(payload, this.state);
    const partnerBusinessId = options.partnerBusinessId ?? SIM_DEMO_IDS.partnerBusinessId;
    const graph = new GraphApiHandler(this.state, {
      appId: options.appId,
      appSecret: options.appSecret,
      appName: options.appName ?? 'WhatsApp Assets Sandbox',
      partnerBusinessId,
      bucCallBudget: () => this.bucCallBudget,
      throughputMps: options.throughputMps ?? SIM_DEFAULT_THROUGHPUT_MPS,
      statusWebhooks: this.statusSettings,
      webhookUrl: () => this.emitter.url,
      now: this.now,
      emitWebhooks: (steps) => {
        this.emitter.deliverSequenceInBackground(steps);
      },
      buildWebhook: (field, value, entryId, time) => this.emitter.build(field, value, entryId, time),
      onMessageAccepted: (message) => {
        this.accepted.push(message);
      },
    });
    this.events = new ScenarioEventApplier(this.state, {
      appId: options.appId,
      partnerBusinessId,
      now: this.now,
      build: (field, value, entryId) => this.emitter.build(field, value, entryId),
    });
    this.control = new ControlApiHandler(this);
    this.seeder = new SimulatorSeeder(this.state, options);
    this.http = new SimulatorHttpServer((req, res, url) =>
      url.pathname === '/_sim' || url.pathname.startsWith('/_sim/')
        ? this.control.handle(req, res, url)
        : this.graphEndpoint.handle(req, res, url),
    );
    this.graphEndpoint = new GraphHttpEndpoint({
      graph,
      faults: this.faults,
      log: this.log,
      server: this.http,
      now: this.now,
      defaultVersion: options.defaultVersion ?? SIM_DEFAULT_GRAPH_VERSION,
      onStateChange: () => this.changed(),
    });
    this.seeder.ensurePartner();
  }

  /** Tells the owner (sandbox persistence) that exported state may have changed. */
  private changed(): void {
    this.options.onStateChange?.();
  }

  /** A copy of what a mutation returned, so callers cannot change the state behind its back. */
  private changedCopy<T>(changedObject: T): T {
    const copy = structuredClone(changedObject);
    this.changed();
    return copy;
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
    const valid = checkedSnapshot(snapshot, this.options.appId);
    this.state.importState(valid);
    this.events.importState(valid.mmBeforeInactive);
    this.seeder.ensurePartner();
  }

  // ------------------------------------------------------------------ lifecycle

  /** Starts listening; resolves to the origin URL (no version), e.g. `http://127.0.0.1:4321`. */
  start(port = 0, host = '127.0.0.1'): Promise<string> {
    return this.http.start(port, host);
  }

  /** Stops listening and drops every open socket (keep-alive and hanging requests included). */
  async stop(): Promise<void> {
    this.emitter.abortAll();
    await this.http.stop();
  }

  /** Origin URL of the running server (empty before start). */
  get url(): string {
    return this.http.url;
  }

  /** Clears every object, token, fault, counter and log; configuration (app, webhook URL) stays. */
  reset(): void {
    this.state.clear();
    this.events.clear();
    this.faults.reset(this.options.latencyMs ?? 0);
    this.log.clear();
    this.accepted.clear();
    this.emitter.cancelScheduled();
    this.emitter.clearDeliveries();
    this.bucCallBudget = this.options.bucCallBudget ?? SIM_DEFAULT_BUC_CALL_BUDGET;
    Object.assign(this.statusSettings, configuredStatusSettings(this.options));
    this.seeder.ensurePartner();
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
    return this.changedCopy(this.state.createWaba(input));
  }

  /** Adds a number to a WABA. Defaults: CONNECTED on CLOUD_API, GREEN, name APPROVED. */
  createPhoneNumber(input: CreatePhoneNumberInput): SimPhoneNumber {
    return this.changedCopy(this.state.createPhoneNumber(input));
  }

  updateWaba(wabaId: string, patch: UpdateWabaInput): SimWaba {
    return this.changedCopy(this.state.updateWaba(wabaId, patch));
  }

  updatePhoneNumber(phoneNumberId: string, patch: UpdatePhoneNumberInput): SimPhoneNumber {
    return this.changedCopy(this.state.updatePhoneNumber(phoneNumberId, patch));
  }

  /** Moves a number to another WABA, as Meta's number migration does; its ID and fields stay. */
  movePhoneNumber(phoneNumberId: string, wabaId: string): SimPhoneNumber {
    return this.changedCopy(this.state.movePhoneNumber(phoneNumberId, wabaId));
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

  /** Sets how a recipient's sends end (status webhooks, §5.7): a phone number or a BSUID (`US.…`). */
  setRecipientOutcome(recipient: string, outcome: RecipientOutcome): void {
    this.state.recipients.set(recipientKey(recipient), checkedOutcome(outcome));
    this.changed();
  }

  /**
   * A user stops or resumes the marketing messages of the number's business (WABA): Meta's
   * `user_preferences` webhook, and later marketing sends to them fail 131050 until they resume.
   * Resolves to the delivery, or null without a webhook URL.
   */
  async userPreference(
    phoneNumberId: string,
    recipient: string,
    preference: MarketingPreference,
  ): Promise<WebhookDelivery | null> {
    const payload = applyUserPreference(this.state, { phoneNumberId, recipient, preference }, this.now());
    this.changed();
    return this.emitter.url ? this.emitter.deliver(payload, { routed: true }) : null;
  }

  /** Changes which status webhooks sends produce and their delays (unnamed delays stay); until reset. */
  setStatusWebhooks(mode: StatusWebhookMode, delaysMs: Partial<StatusDelaysMs> = {}): StatusWebhookSettings {
    updateStatusSettings(this.statusSettings, mode, delaysMs);
    return structuredClone(this.statusSettings);
  }

  /** Which status webhooks sends produce now, and when. */
  get statusWebhooks(): StatusWebhookSettings {
    return structuredClone(this.statusSettings);
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
    const session = this.seeder.createSignupSession(input);
    this.changed();
    if (input.emitWebhooks && this.emitter.url) {
      for (const type of ['PARTNER_ADDED', 'PARTNER_APP_INSTALLED'] as const) {
        for (const payload of this.events.apply(session.wabaId, type).payloads) {
          this.emitter.deliverInBackground(payload);
        }
      }
    }
    return session;
  }

  /**
   * Seeds Meta's documentation sample objects (§0): business 506914307656634, WABA 102290129340398
   * "Lucky Shrub" (subscribed) and registered number 106540352242922, plus a non-expiring business token.
   */
  seedDemo(): SimDemoSeed {
    const seed = this.seeder.seedDemo();
    this.changed();
    return seed;
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
    return this.log.entries;
  }

  clearRequests(): void {
    this.log.clear();
  }

  /**
   * Every message Meta accepted, oldest first, including those whose answer an `accept_then_*` fault lost:
   * what recipients may have received, whatever the client was told. A live read-only view.
   */
  get sentMessages(): readonly SimSentMessage[] {
    return this.accepted.entries;
  }

  // ------------------------------------------------------------------ webhooks & events

  setWebhookUrl(url: string | null): void {
    this.emitter.url = url;
  }

  get currentWebhookUrl(): string | null {
    return this.emitter.url;
  }

  /** Every webhook delivered so far (scenario events, status webhooks and raw sends), oldest first. */
  get webhooks(): readonly WebhookDelivery[] {
    return this.emitter.deliveries;
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
    return this.emitter.deliver(payload, options);
  }

  /** Waits for status webhooks still being delivered in the background. */
  async flushWebhooks(): Promise<void> {
    await this.emitter.flush();
  }

  /**
   * Changes the WABA as Meta would for the event and, when a webhook URL is set (and not `silent`),
   * delivers the matching signed webhooks, routed as Meta routes them (an override, no subscription:
   * webhook-routing.ts). Resolves to the delivery about this WABA, or null when none
   * was sent. Events whose webhook concerns the whole portfolio (MM_LITE_TERMS_SIGNED) send one per WABA.
   */
  async applyEvent(wabaId: string, type: SimEventType, params: SimEventParams = {}): Promise<WebhookDelivery | null> {
    const applied = this.events.apply(wabaId, type, params);
    this.changed();
    if (params.silent || !this.emitter.url || applied.payloads.length === 0) {
      return null;
    }
    let primary: WebhookDelivery | null = null;
    for (const [index, payload] of applied.payloads.entries()) {
      const delivery = await this.emitter.deliver(payload, { routed: true });
      if (index === applied.primary) {
        primary = delivery;
      }
    }
    return primary;
  }
}
