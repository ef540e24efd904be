import { createHash, randomBytes, randomInt } from 'node:crypto';

import {
  SIM_BUC_WINDOW_MS,
  SIM_PAIR_BURST,
  SIM_PAIR_REFILL_MS,
  SIM_REGISTRATION_WINDOW_MS,
} from './meta-simulator.constants';
import type {
  BusinessTermsStatus,
  CreatePhoneNumberInput,
  CreateWabaInput,
  IssueTokenInput,
  RecipientOutcome,
  SimBusiness,
  SimPhoneNumber,
  SimTemplate,
  SimWaba,
  UpdatePhoneNumberInput,
  UpdateWabaInput,
} from './meta-simulator.types';
import { findTemplate, templateKey } from './sim-templates';
import type { SimRecipient } from './recipient-identity';

/** A token as kept in a snapshot: plain JSON, without the derived id set. */
export type SimTokenSnapshot = Omit<SimToken, 'wabaIdSet'>;

/** The store's durable part as plain JSON (see {@link SimulatorStateStore.exportState}). */
export interface SimulatorStoreSnapshot {
  businesses: SimBusiness[];
  /** In creation order (the partner's client list order). */
  wabas: SimWaba[];
  phoneNumbers: SimPhoneNumber[];
  subscriptions: Array<{ wabaId: string; overrideCallbackUri: string | null }>;
  recipients: Array<{ recipient: string; outcome: RecipientOutcome }>;
  /** `${wabaId}:${phone digits or BSUID}` of users who stopped the WABA's marketing messages (absent before). */
  marketingStops?: string[];
  tokens: SimTokenSnapshot[];
  /** Phone id → register/deregister attempts (epoch ms) of the rolling 72 h limit. */
  registrations: Record<string, number[]>;
  phoneSequence: number;
}

/** A token the simulator issued. */
export interface SimToken {
  token: string;
  /** Opaque stable id for logs and assertions. */
  id: string;
  kind: 'business' | 'system_user';
  /** Granted WABAs, newest first. */
  wabaIds: string[];
  wabaIdSet: Set<string>;
  businessId: string | null;
  userId: string;
  /** Epoch ms. */
  issuedAt: number;
  /** Epoch ms; null = never expires. */
  expiresAt: number | null;
  invalidated: boolean;
}

/** An Embedded Signup code waiting to be exchanged. */
interface SignupCode {
  token: string;
  /** Epoch ms. */
  expiresAt: number;
  used: boolean;
}

/** Usage of one WABA's business-use-case bucket. */
interface BucWindow {
  startedAt: number;
  count: number;
}

/** Result of counting one BUC call. */
export interface BucUsage {
  count: number;
  /** Percent of the budget used (0–100). */
  percent: number;
  /** Minutes until the window resets when throttled, else 0. */
  regainMinutes: number;
  throttled: boolean;
}

/** Opaque stable id of any token string (also for tokens the simulator does not know). */
export function tokenIdOf(token: string): string {
  return `tok_${createHash('sha256').update(token).digest('hex').slice(0, 16)}`;
}

function alphanumeric(bytes: number): string {
  return randomBytes(bytes)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '');
}

function digitsOnly(value: string): string {
  return value.replace(/\D/g, '');
}

/**
 * The simulator's in-memory world: businesses, WABAs, numbers, tokens, codes, subscriptions and the rate
 * counters. Everything is keyed by id in Maps so that 50,000 WABAs / 150,000 numbers stay O(1) per call.
 */
export class SimulatorStateStore {
  readonly businesses = new Map<string, SimBusiness>();
  readonly wabas = new Map<string, SimWaba>();
  readonly phones = new Map<string, SimPhoneNumber>();
  /** Every WABA id in creation order (the partner's client list). */
  readonly wabaOrder: string[] = [];
  /** WABA id → subscription of our app (override callback URI or null). */
  readonly subscriptions = new Map<string, { overrideCallbackUri: string | null }>();
  readonly recipients = new Map<string, RecipientOutcome>();
  /** `${wabaId}:${phone digits or BSUID}`: users who stopped the WABA's marketing messages. */
  private readonly marketingStops = new Set<string>();

  private readonly tokens = new Map<string, SimToken>();
  private readonly codes = new Map<string, SignupCode>();
  private readonly buc = new Map<string, BucWindow>();
  private readonly registrations = new Map<string, number[]>();
  /** phone id → [second, count] for the per-number throughput limit. */
  private readonly throughput = new Map<string, { second: number; count: number }>();
  /** `${phone}:${recipient}` → token bucket of the pair rate limit. */
  private readonly pairs = new Map<string, { tokens: number; at: number }>();
  private phoneSequence = 0;

  constructor(
    private readonly now: () => Date,
    private readonly appId: string,
  ) {}

  /** Empties every collection. */
  clear(): void {
    this.businesses.clear();
    this.wabas.clear();
    this.phones.clear();
    this.wabaOrder.length = 0;
    this.subscriptions.clear();
    this.recipients.clear();
    this.marketingStops.clear();
    this.tokens.clear();
    this.codes.clear();
    this.buc.clear();
    this.registrations.clear();
    this.throughput.clear();
    this.pairs.clear();
    this.phoneSequence = 0;
  }

  /**
   * Everything Graph answers depend on, deep-copied as plain JSON. Signup codes, rate counters (BUC,
   * throughput, pair limit) are left out: they are short-lived and start afresh after a restart.
   */
  exportState(): SimulatorStoreSnapshot {
    const wabas = this.wabaOrder.map((id) => this.wabas.get(id)).filter((waba): waba is SimWaba => waba !== undefined);
    return structuredClone({
      businesses: [...this.businesses.values()],
      wabas,
      phoneNumbers: [...this.phones.values()],
      subscriptions: [...this.subscriptions].map(([wabaId, subscription]) => ({
        wabaId,
        overrideCallbackUri: subscription.overrideCallbackUri,
      })),
      recipients: [...this.recipients].map(([recipient, outcome]) => ({ recipient, outcome })),
      marketingStops: [...this.marketingStops],
      tokens: [...this.tokens.values()].map(({ wabaIdSet: _derived, ...token }) => token),
      registrations: Object.fromEntries(this.registrations),
      phoneSequence: this.phoneSequence,
    });
  }

  /** Replaces the whole state with a snapshot from {@link exportState}; derived sets are rebuilt. */
  importState(snapshot: SimulatorStoreSnapshot): void {
    const copy = structuredClone(snapshot);
    this.clear();
    for (const business of copy.businesses) {
      this.businesses.set(business.id, business);
    }
    for (const waba of copy.wabas) {
      this.wabas.set(waba.id, waba);
      this.wabaOrder.push(waba.id);
    }
    for (const phone of copy.phoneNumbers) {
      this.phones.set(phone.id, phone);
    }
    for (const subscription of copy.subscriptions) {
      this.subscriptions.set(subscription.wabaId, { overrideCallbackUri: subscription.overrideCallbackUri });
    }
    for (const { recipient, outcome } of copy.recipients) {
      this.recipients.set(recipient, outcome);
    }
    for (const stop of copy.marketingStops ?? []) {
      this.marketingStops.add(stop);
    }
    for (const token of copy.tokens) {
      this.tokens.set(token.token, { ...token, wabaIdSet: new Set(token.wabaIds) });
    }
    for (const [phoneId, attempts] of Object.entries(copy.registrations)) {
      this.registrations.set(phoneId, attempts);
    }
    this.phoneSequence = copy.phoneSequence;
  }

  /**
   * Records a user's marketing preference for a WABA (`user_preferences`). A user known by phone is
   * recorded under the number and its BSUID, so that a later send by either is refused.
   */
  setMarketingPreference(wabaId: string, recipient: SimRecipient, stopped: boolean): void {
    for (const id of [recipient.phone, recipient.bsuid]) {
      if (id !== null) {
        if (stopped) {
          this.marketingStops.add(`${wabaId}:${id}`);
        } else {
          this.marketingStops.delete(`${wabaId}:${id}`);
        }
      }
    }
  }

  /** Whether the user stopped the WABA's marketing messages (by phone or BSUID). */
  hasMarketingStop(wabaId: string, recipient: SimRecipient): boolean {
    return (
      (recipient.phone !== null && this.marketingStops.has(`${wabaId}:${recipient.phone}`)) ||
      this.marketingStops.has(`${wabaId}:${recipient.bsuid}`)
    );
  }

  private nowSeconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }

  /** A fresh numeric id like Meta's (15 digits), unique across all node kinds. */
  newId(): string {
    for (;;) {
      const id = String(randomInt(100_000, 999_999)) + String(randomInt(100_000_000, 999_999_999));
      if (!this.wabas.has(id) && !this.phones.has(id) && !this.businesses.has(id)) {
        return id;
      }
    }
  }

  private assertFreeId(id: string): void {
    if (this.wabas.has(id) || this.phones.has(id) || this.businesses.has(id)) {
      throw new Error(`Id ${id} is already used`);
    }
  }

  createBusiness(input: { id?: string; name?: string } = {}): SimBusiness {
    const id = input.id ?? this.newId();
    this.assertFreeId(id);
    const business: SimBusiness = {
      id,
      name: input.name ?? `Business ${id.slice(-4)}`,
      termsStatus: null,
      wabaIds: [],
      mmRequestId: null,
    };
    this.businesses.set(id, business);
    return business;
  }

  createWaba(input: CreateWabaInput): SimWaba {
    let business = input.businessId ? this.businesses.get(input.businessId) : undefined;
    if (!business) {
      business = this.createBusiness({ id: input.businessId, name: input.businessName });
    }
    const id = input.id ?? this.newId();
    this.assertFreeId(id);
    const waba: SimWaba = {
      id,
      businessId: business.id,
      name: input.name ?? `WABA ${id.slice(-4)}`,
      currency: input.currency ?? 'USD',
      timezoneId: input.timezoneId ?? '1',
      messageTemplateNamespace:
        input.messageTemplateNamespace ?? `${randomBytes(4).toString('hex')}_${randomBytes(2).toString('hex')}`,
      country: input.country ?? 'US',
      creationTime: input.creationTime ?? this.nowSeconds(),
      status: input.status ?? 'ACTIVE',
      accountReviewStatus: input.accountReviewStatus ?? 'APPROVED',
      businessVerificationStatus: input.businessVerificationStatus ?? 'verified',
      ownershipType: input.ownershipType ?? 'CLIENT_OWNED',
      primaryBusinessLocation: input.primaryBusinessLocation ?? null,
      primaryFundingId: input.primaryFundingId ?? null,
      purchaseOrderNumber: input.purchaseOrderNumber ?? null,
      isEnabledForInsights: input.isEnabledForInsights ?? false,
      isSharedWithPartners: input.isSharedWithPartners ?? true,
      templateAutoArchivalEnabled: input.templateAutoArchivalEnabled ?? false,
      messagingLimit: input.messagingLimit ?? 'TIER_2K',
      marketingMessagesOnboardingStatus: input.marketingMessagesOnboardingStatus ?? 'ELIGIBLE',
      disableMarketingMessagesOnCloudApi: input.disableMarketingMessagesOnCloudApi ?? false,
      authInternationalRateEligibility: input.authInternationalRateEligibility ?? null,
      state: input.state ?? 'ACTIVE',
      restrictions: input.restrictions ?? [],
      sharedWithPartner: input.sharedWithPartner ?? true,
      healthStatusOverride: input.healthStatusOverride ?? null,
      templates: {},
      phoneNumberIds: [],
    };
    this.applyTemplates(waba, input.templates);
    this.wabas.set(id, waba);
    this.wabaOrder.push(id);
    business.wabaIds.push(id);
    if (input.subscribed) {
      this.subscriptions.set(id, { overrideCallbackUri: null });
    }
    return waba;
  }

  private applyTemplates(waba: SimWaba, templates: UpdateWabaInput['templates']): void {
    for (const template of templates ?? []) {
      const existing = findTemplate(waba, template.name, template.language);
      const category = template.category ?? existing?.category ?? 'MARKETING';
      const status = template.status ?? existing?.status ?? 'APPROVED';
      const normalized: SimTemplate = {
        name: template.name,
        category,
        status,
        syncedAt: template.syncedAt ?? existing?.syncedAt ?? 0,
        optimizationSpec: template.optimizationSpec ?? existing?.optimizationSpec ?? null,
        id: template.id ?? existing?.id ?? this.newTemplateId(),
        language: template.language ?? existing?.language ?? 'en_US',
        previousCategory: template.previousCategory ?? existing?.previousCategory ?? null,
        correctCategory: template.correctCategory ?? existing?.correctCategory ?? null,
        rejectedReason: template.rejectedReason ?? existing?.rejectedReason ?? 'NONE',
        qualityScore: template.qualityScore ?? existing?.qualityScore ?? (status === 'APPROVED' ? 'GREEN' : 'UNKNOWN'),
        pauses: template.pauses ?? existing?.pauses ?? 0,
        bodyText: template.bodyText ?? existing?.bodyText ?? `Hello {{1}}, this is ${template.name}.`,
      };
      if (existing) {
        delete waba.templates[Object.keys(waba.templates).find((key) => waba.templates[key] === existing) ?? ''];
      }
      waba.templates[templateKey(normalized)] = normalized;
    }
  }

  /** Adds (or replaces) one template of a WABA, with defaults for what it leaves out. */
  addTemplate(wabaId: string, template: Partial<SimTemplate> & { name: string }): SimTemplate {
    const waba = this.requireWaba(wabaId);
    this.applyTemplates(waba, [template]);
    const added = findTemplate(waba, template.name, template.language);
    if (!added) {
      throw new Error(`Template ${template.name} was not added`);
    }
    return added;
  }

  /** A fresh 16-digit template ID below 2^53, so that webhooks can carry it as an exact JSON number. */
  private newTemplateId(): string {
    return String(1_000_000_000_000_000 + randomInt(0, 2 ** 47) * 16 + randomInt(0, 16));
  }

  updateWaba(wabaId: string, patch: UpdateWabaInput): SimWaba {
    const waba = this.requireWaba(wabaId);
    const { templates, ...fields } = patch;
    Object.assign(waba, stripUndefined(fields));
    this.applyTemplates(waba, templates);
    return waba;
  }

  requireWaba(wabaId: string): SimWaba {
    const waba = this.wabas.get(wabaId);
    if (!waba) {
      throw new Error(`Unknown WABA ${wabaId}`);
    }
    return waba;
  }

  requirePhone(phoneNumberId: string): SimPhoneNumber {
    const phone = this.phones.get(phoneNumberId);
    if (!phone) {
      throw new Error(`Unknown phone number ${phoneNumberId}`);
    }
    return phone;
  }

  /** A display number that is unique in this run, formatted like the list examples (§4.1). */
  private nextDisplayNumber(): string {
    this.phoneSequence += 1;
    const n = String(this.phoneSequence).padStart(7, '0');
    return `+1 555-${n.slice(0, 3)}-${n.slice(3)}`;
  }

  createPhoneNumber(input: CreatePhoneNumberInput): SimPhoneNumber {
    const waba = this.requireWaba(input.wabaId);
    const id = input.id ?? this.newId();
    this.assertFreeId(id);
    const phone: SimPhoneNumber = {
      id,
      wabaId: waba.id,
      displayPhoneNumber: input.displayPhoneNumber ?? this.nextDisplayNumber(),
      verifiedName: input.verifiedName ?? waba.name,
      qualityRating: input.qualityRating ?? 'GREEN',
      codeVerificationStatus: input.codeVerificationStatus ?? 'VERIFIED',
      status: input.status ?? 'CONNECTED',
      nameStatus: input.nameStatus ?? 'APPROVED',
      newNameStatus: input.newNameStatus ?? null,
      newDisplayName: input.newDisplayName ?? null,
      platformType:
        input.platformType ?? (input.status && input.status !== 'CONNECTED' ? 'NOT_APPLICABLE' : 'CLOUD_API'),
      accountMode: input.accountMode ?? 'LIVE',
      throughputLevel: input.throughputLevel ?? 'STANDARD',
      messagingLimitTier: input.messagingLimitTier ?? 'TIER_250',
      isOfficialBusinessAccount: input.isOfficialBusinessAccount ?? false,
      isOnBizApp: input.isOnBizApp ?? false,
      pin: input.pin ?? null,
      lastOnboardedTime: input.lastOnboardedTime ?? this.nowSeconds(),
      searchVisibility: input.searchVisibility ?? 'VISIBLE',
      webhookOverrideUri: input.webhookOverrideUri ?? null,
      healthStatusOverride: input.healthStatusOverride ?? null,
    };
    this.phones.set(id, phone);
    waba.phoneNumberIds.push(id);
    return phone;
  }

  updatePhoneNumber(phoneNumberId: string, patch: UpdatePhoneNumberInput): SimPhoneNumber {
    const phone = this.requirePhone(phoneNumberId);
    Object.assign(phone, stripUndefined(patch));
    return phone;
  }

  /** Moves a number to another WABA (Meta's number migration between WABAs). */
  movePhoneNumber(phoneNumberId: string, wabaId: string): SimPhoneNumber {
    const phone = this.requirePhone(phoneNumberId);
    const target = this.requireWaba(wabaId);
    const source = this.wabas.get(phone.wabaId);
    if (source) {
      source.phoneNumberIds = source.phoneNumberIds.filter((id) => id !== phoneNumberId);
    }
    if (!target.phoneNumberIds.includes(phoneNumberId)) {
      target.phoneNumberIds.push(phoneNumberId);
    }
    phone.wabaId = wabaId;
    return phone;
  }

  setBusinessTermsStatus(businessId: string, status: BusinessTermsStatus | null): SimBusiness {
    const business = this.businesses.get(businessId);
    if (!business) {
      throw new Error(`Unknown business ${businessId}`);
    }
    business.termsStatus = status === null ? null : { status, time: this.now().toISOString().slice(0, 10) };
    return business;
  }

  issueToken(input: IssueTokenInput): SimToken {
    const token = `EAA${alphanumeric(96).slice(0, 120)}`;
    const issuedAt = this.now().getTime();
    const expires = input.expiresInSeconds;
    const record: SimToken = {
      token,
      id: tokenIdOf(token),
      kind: input.kind ?? 'business',
      wabaIds: [...input.wabaIds],
      wabaIdSet: new Set(input.wabaIds),
      businessId: input.businessId ?? null,
      userId: String(randomInt(100_000_000, 999_999_999)) + String(randomInt(1_000_000, 9_999_999)),
      issuedAt,
      expiresAt: expires === null || expires === undefined ? null : issuedAt + expires * 1000,
      invalidated: false,
    };
    this.tokens.set(token, record);
    return record;
  }

  /** Registers an externally chosen token string (e.g. META_SYSTEM_USER_TOKEN). */
  registerToken(token: string, kind: 'business' | 'system_user', wabaIds: string[]): SimToken {
    const record = this.issueToken({ wabaIds, kind });
    this.tokens.delete(record.token);
    const registered: SimToken = { ...record, token, id: tokenIdOf(token) };
    this.tokens.set(token, registered);
    return registered;
  }

  findToken(token: string): SimToken | undefined {
    return this.tokens.get(token);
  }

  requireToken(token: string): SimToken {
    const record = this.tokens.get(token);
    if (!record) {
      throw new Error('Unknown token');
    }
    return record;
  }

  /** Grants a WABA to a token; it becomes the newest target id (§2.5). */
  grant(token: SimToken, wabaId: string): void {
    token.wabaIds = [wabaId, ...token.wabaIds.filter((id) => id !== wabaId)];
    token.wabaIdSet.add(wabaId);
  }

  /** Removes a WABA from every business token (customer unshared it). */
  revokeEverywhere(wabaId: string): void {
    for (const token of this.tokens.values()) {
      if (token.kind === 'business' && token.wabaIdSet.delete(wabaId)) {
        token.wabaIds = token.wabaIds.filter((id) => id !== wabaId);
      }
    }
  }

  createCode(token: string, ttlSeconds: number): string {
    const code = `AQ${alphanumeric(120).slice(0, 150)}`;
    this.codes.set(code, { token, expiresAt: this.now().getTime() + ttlSeconds * 1000, used: false });
    return code;
  }

  /** Exchanges a code: the token, or why not. A code counts as used even when the exchange fails later. */
  consumeCode(code: string): { token: string } | { error: 'unknown' | 'used' | 'expired' } {
    const entry = this.codes.get(code);
    if (!entry) {
      return { error: 'unknown' };
    }
    if (entry.used) {
      return { error: 'used' };
    }
    if (this.now().getTime() > entry.expiresAt) {
      return { error: 'expired' };
    }
    entry.used = true;
    return { token: entry.token };
  }

  /** Counts one BUC call for a WABA; a throttled call is not counted (Meta refuses it outright). */
  countBucCall(wabaId: string, budget: number): BucUsage {
    const nowMs = this.now().getTime();
    let window = this.buc.get(wabaId);
    if (!window || nowMs - window.startedAt >= SIM_BUC_WINDOW_MS) {
      window = { startedAt: nowMs, count: 0 };
      this.buc.set(wabaId, window);
    }
    if (window.count >= budget) {
      const remainingMs = window.startedAt + SIM_BUC_WINDOW_MS - nowMs;
      return {
        count: window.count,
        percent: 100,
        regainMinutes: Math.max(1, Math.ceil(remainingMs / 60000)),
        throttled: true,
      };
    }
    window.count += 1;
    return {
      count: window.count,
      percent: Math.min(100, Math.floor((window.count * 100) / budget)),
      regainMinutes: 0,
      throttled: false,
    };
  }

  bucCount(wabaId: string): number {
    const window = this.buc.get(wabaId);
    return window && this.now().getTime() - window.startedAt < SIM_BUC_WINDOW_MS ? window.count : 0;
  }

  /** Records a register/deregister attempt; false once the rolling 72 h limit is used up (133016). */
  recordRegistration(phoneNumberId: string, limit: number): boolean {
    const nowMs = this.now().getTime();
    const recent = (this.registrations.get(phoneNumberId) ?? []).filter(
      (at) => nowMs - at < SIM_REGISTRATION_WINDOW_MS,
    );
    if (recent.length >= limit) {
      this.registrations.set(phoneNumberId, recent);
      return false;
    }
    recent.push(nowMs);
    this.registrations.set(phoneNumberId, recent);
    return true;
  }

  /** Counts one send against the number's messages-per-second limit; false when over it (130429). */
  takeThroughput(phoneNumberId: string, mps: number): boolean {
    const second = Math.floor(this.now().getTime() / 1000);
    const slot = this.throughput.get(phoneNumberId);
    if (!slot || slot.second !== second) {
      this.throughput.set(phoneNumberId, { second, count: 1 });
      return true;
    }
    if (slot.count >= mps) {
      return false;
    }
    slot.count += 1;
    return true;
  }

  /** Token bucket of the business/consumer pair limit; false when empty (131056). */
  takePairSlot(phoneNumberId: string, recipient: string): boolean {
    const key = `${phoneNumberId}:${digitsOnly(recipient) || recipient}`;
    const nowMs = this.now().getTime();
    const bucket = this.pairs.get(key) ?? { tokens: SIM_PAIR_BURST, at: nowMs };
    const refill = Math.floor((nowMs - bucket.at) / SIM_PAIR_REFILL_MS);
    if (refill > 0) {
      bucket.tokens = Math.min(SIM_PAIR_BURST, bucket.tokens + refill);
      bucket.at += refill * SIM_PAIR_REFILL_MS;
    }
    this.pairs.set(key, bucket);
    if (bucket.tokens <= 0) {
      return false;
    }
    bucket.tokens -= 1;
    return true;
  }

  /** The app's own id, as stored in subscriptions and health entities. */
  get ownAppId(): string {
    return this.appId;
  }
}

/** Drops keys whose value is undefined, so a patch never blanks a field by accident. */
function stripUndefined<T extends object>(patch: T): Partial<T> {
  const result: Partial<T> = {};
  for (const key of Object.keys(patch) as Array<keyof T>) {
    if (patch[key] !== undefined) {
      result[key] = patch[key];
    }
  }
  return result;
}
