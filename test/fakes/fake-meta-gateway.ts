import { MetaGateway } from 'src/modules/meta-gateway/meta-gateway';
import { MetaGatewayErrorCode, MetaGatewayException } from 'src/modules/meta-gateway/meta-gateway.exception';
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
} from 'src/modules/meta-gateway/meta-gateway.types';

/** Names of the port's methods that can be made to fail. */
/** The app ID the fake lists as subscribed (`getSubscribedApps`) unless a test sets the list itself. */
export const FAKE_APP_ID = '1234567890123';

export type FakeMetaGatewayMethod = Exclude<keyof MetaGateway, 'throttledUntil'>;

/** One recorded call: method name and the arguments as passed (tokens included: it is a test double). */
export interface FakeMetaGatewayCall {
  method: FakeMetaGatewayMethod;
  args: unknown[];
}

/**
 * In-memory {@link MetaGateway} for unit tests of other modules. State is set with `setWaba`,
 * `setPhoneNumber`, `setBusinessTermsStatus`, `setTokenInspection`, `setExchangedToken`; failures are
 * queued per method with `failNext`; every call is recorded in `calls` and shown to the `onCall`
 * observers as it is made. Unknown objects answer NOT_FOUND, as Graph's code 100/33 does. Tokens are not
 * checked unless `setTokenInspection` made them invalid.
 */
export class FakeMetaGateway extends MetaGateway {
  readonly calls: FakeMetaGatewayCall[] = [];
  readonly wabas = new Map<string, WabaSnapshot>();
  readonly phoneNumbers = new Map<string, { wabaId: string; snapshot: PhoneNumberSnapshot }>();
  readonly businessTerms = new Map<string, MmLiteTermsStatus | null>();
  readonly tokenInspections = new Map<string, TokenInspection>();
  readonly exchangedTokens = new Map<string, ExchangedToken>();
  readonly subscribedWabaIds = new Set<string>();
  /** `subscribed_apps` as Meta lists it per WABA, when a test sets it; else our app alone once subscribed. */
  readonly subscribedApps = new Map<string, SubscribedApp[]>();
  /** Templates by WABA ID (`listMessageTemplates`, `readTemplatesOfWabas`); none unless set. */
  readonly templates = new Map<string, TemplateSnapshot[]>();
  readonly registeredPins = new Map<string, string>();
  readonly sentMessages: Array<{
    channel: 'messages' | 'marketing_messages';
    phoneNumberId: string;
    recipient: MessageRecipient;
    template: TemplateMessage;
    messageId: string;
  }> = [];
  private readonly failures = new Map<FakeMetaGatewayMethod, MetaGatewayException[]>();
  private readonly observers: Array<(call: FakeMetaGatewayCall) => void> = [];
  private readonly throttles = new Map<string, Date>();
  private usedCodes = new Set<string>();
  private messageCounter = 0;

  /** Stores (or replaces) a WABA; unspecified fields get defaults of an active, onboarded-to-nothing WABA. */
  setWaba(waba: Partial<WabaSnapshot> & { id: string }): WabaSnapshot {
    const snapshot = fakeWabaSnapshot(waba);
    this.wabas.set(snapshot.id, snapshot);
    return snapshot;
  }

  /** Stores (or replaces) a phone number of a WABA. */
  setPhoneNumber(wabaId: string, phoneNumber: Partial<PhoneNumberSnapshot> & { id: string }): PhoneNumberSnapshot {
    const snapshot = fakePhoneNumberSnapshot(phoneNumber);
    this.phoneNumbers.set(snapshot.id, { wabaId, snapshot });
    return snapshot;
  }

  /** Sets the business portfolio's MM Lite terms status (null = Meta has none). */
  setBusinessTermsStatus(businessId: string, status: MmLiteTermsStatus | null): void {
    this.businessTerms.set(businessId, status);
  }

  /** What `inspectToken(token)` answers; tokens never set answer valid with every stored WABA granted. */
  setTokenInspection(token: string, inspection: Partial<TokenInspection>): void {
    this.tokenInspections.set(token, { ...defaultInspection([...this.wabas.keys()]), ...inspection });
  }

  /** What `exchangeCode(code)` answers; codes never set exchange to `token-<code>`. A code works once. */
  setExchangedToken(code: string, token: ExchangedToken): void {
    this.exchangedTokens.set(code, token);
  }

  /** Makes the next call of `method` throw `exception` (or a bare exception of that code); calls queue up. */
  failNext(method: FakeMetaGatewayMethod, exception: MetaGatewayException | MetaGatewayErrorCode): void {
    const error =
      exception instanceof MetaGatewayException
        ? exception
        : new MetaGatewayException(exception, `Fake ${method} failure (${exception})`);
    this.failures.set(method, [...(this.failures.get(method) ?? []), error]);
  }

  /** Marks a business object throttled until the given time. */
  throttle(businessObjectId: string, until: Date): void {
    this.throttles.set(businessObjectId, until);
  }

  /**
   * Shows every later call to `observer` as it is made, before it answers: what else is true at that moment
   * (an open transaction, see FakeTransactions.watch) or what time passes while Meta answers.
   */
  onCall(observer: (call: FakeMetaGatewayCall) => void): void {
    this.observers.push(observer);
  }

  /** Calls made to one method, in order. */
  callsTo(method: FakeMetaGatewayMethod): unknown[][] {
    return this.calls.filter((call) => call.method === method).map((call) => call.args);
  }

  /** Forgets calls, failures and sends, keeping the stored objects. */
  reset(): void {
    this.calls.length = 0;
    this.sentMessages.length = 0;
    this.failures.clear();
    this.throttles.clear();
    this.usedCodes = new Set();
  }

  exchangeCode(code: string): Promise<ExchangedToken> {
    return this.run('exchangeCode', [code], () => {
      if (this.usedCodes.has(code)) {
        throw new MetaGatewayException(MetaGatewayErrorCode.INVALID_REQUEST, 'This authorization code has been used.', {
          httpStatus: 400,
          metaCode: 100,
        });
      }
      this.usedCodes.add(code);
      return this.exchangedTokens.get(code) ?? { accessToken: `token-${code}`, expiresInSeconds: null };
    });
  }

  inspectToken(inputToken: string): Promise<TokenInspection> {
    return this.run(
      'inspectToken',
      [inputToken],
      () => this.tokenInspections.get(inputToken) ?? defaultInspection([...this.wabas.keys()]),
    );
  }

  getWaba(wabaId: string, token: string): Promise<WabaSnapshot> {
    return this.run('getWaba', [wabaId, token], () => this.requireWaba(wabaId));
  }

  getWabas(wabaIds: string[], token: string): Promise<MultiReadResult<WabaSnapshot>> {
    return this.run('getWabas', [wabaIds, token], () => this.readMany(wabaIds, (id) => this.requireWaba(id)));
  }

  listPhoneNumbers(wabaId: string, token: string): Promise<PhoneNumberSnapshot[]> {
    return this.run('listPhoneNumbers', [wabaId, token], () => {
      this.requireWaba(wabaId);
      return [...this.phoneNumbers.values()]
        .filter((entry) => entry.wabaId === wabaId)
        .map((entry) => ({ ...entry.snapshot }));
    });
  }

  getPhoneNumber(phoneNumberId: string, token: string): Promise<PhoneNumberSnapshot> {
    return this.run('getPhoneNumber', [phoneNumberId, token], () => this.requirePhoneNumber(phoneNumberId));
  }

  getPhoneNumbers(phoneNumberIds: string[], token: string): Promise<MultiReadResult<PhoneNumberSnapshot>> {
    return this.run('getPhoneNumbers', [phoneNumberIds, token], () =>
      this.readMany(phoneNumberIds, (id) => this.requirePhoneNumber(id)),
    );
  }

  listMessageTemplates(wabaId: string, token: string): Promise<TemplateSnapshot[]> {
    return this.run('listMessageTemplates', [wabaId, token], () => {
      this.requireWaba(wabaId);
      return (this.templates.get(wabaId) ?? []).map((template) => ({ ...template }));
    });
  }

  readTemplatesOfWabas(wabaIds: string[], token: string): Promise<TemplatesReadResult> {
    return this.run('readTemplatesOfWabas', [wabaIds, token], () =>
      this.readMany(wabaIds, (id) => {
        this.requireWaba(id);
        return (this.templates.get(id) ?? []).map((template) => ({ ...template }));
      }),
    );
  }

  subscribeApp(wabaId: string, token: string): Promise<void> {
    return this.run('subscribeApp', [wabaId, token], () => {
      this.requireWaba(wabaId);
      this.subscribedWabaIds.add(wabaId);
    });
  }

  getSubscribedApps(wabaId: string, token: string): Promise<SubscribedApp[]> {
    return this.run('getSubscribedApps', [wabaId, token], () => {
      this.requireWaba(wabaId);
      const listed = this.subscribedApps.get(wabaId);
      if (listed) {
        return listed.map((app) => ({ ...app }));
      }
      return this.subscribedWabaIds.has(wabaId)
        ? [{ appId: FAKE_APP_ID, name: 'Fake app', overrideCallbackUri: null }]
        : [];
    });
  }

  registerPhoneNumber(phoneNumberId: string, pin: string, token: string): Promise<void> {
    return this.run('registerPhoneNumber', [phoneNumberId, pin, token], () => {
      this.requirePhoneNumber(phoneNumberId);
      this.registeredPins.set(phoneNumberId, pin);
    });
  }

  getBusinessTermsStatus(businessId: string, token: string): Promise<MmLiteTermsStatus | null> {
    return this.run('getBusinessTermsStatus', [businessId, token], () => this.businessTerms.get(businessId) ?? null);
  }

  sendTemplateMessage(
    phoneNumberId: string,
    recipient: MessageRecipient,
    template: TemplateMessage,
    token: string,
    callbackData?: string,
  ): Promise<SentMessage> {
    const args = [phoneNumberId, recipient, template, token, ...(callbackData === undefined ? [] : [callbackData])];
    return this.run('sendTemplateMessage', args, () => this.recordSend('messages', phoneNumberId, recipient, template));
  }

  sendMarketingMessage(
    phoneNumberId: string,
    recipient: MessageRecipient,
    template: TemplateMessage,
    token: string,
  ): Promise<SentMessage> {
    return this.run('sendMarketingMessage', [phoneNumberId, recipient, template, token], () =>
      this.recordSend('marketing_messages', phoneNumberId, recipient, template),
    );
  }

  throttledUntil(businessObjectId: string): Date | null {
    const until = this.throttles.get(businessObjectId);
    return until && until.getTime() > Date.now() ? until : null;
  }

  // Async so that a failure is a rejected promise, exactly like the real gateway.
  private async run<T>(method: FakeMetaGatewayMethod, args: unknown[], answer: () => T): Promise<T> {
    const call = { method, args };
    this.calls.push(call);
    this.observers.forEach((observe) => observe(call));
    const queued = this.failures.get(method);
    const failure = queued?.shift();
    if (failure) {
      throw failure;
    }
    await Promise.resolve();
    return answer();
  }

  private readMany<T>(ids: string[], read: (id: string) => T): MultiReadResult<T> {
    const result: MultiReadResult<T> = { found: new Map(), failed: new Map(), calls: Math.ceil(ids.length / 50) };
    for (const id of ids) {
      try {
        result.found.set(id, read(id));
      } catch (error) {
        result.failed.set(id, error as Error);
      }
    }
    return result;
  }

  private requireWaba(wabaId: string): WabaSnapshot {
    const waba = this.wabas.get(wabaId);
    if (!waba) {
      throw notFound(wabaId);
    }
    return { ...waba };
  }

  private requirePhoneNumber(phoneNumberId: string): PhoneNumberSnapshot {
    const entry = this.phoneNumbers.get(phoneNumberId);
    if (!entry) {
      throw notFound(phoneNumberId);
    }
    return { ...entry.snapshot };
  }

  private recordSend(
    channel: 'messages' | 'marketing_messages',
    phoneNumberId: string,
    recipient: MessageRecipient,
    template: TemplateMessage,
  ): SentMessage {
    this.requirePhoneNumber(phoneNumberId);
    this.messageCounter += 1;
    const messageId = `wamid.fake-${this.messageCounter}`;
    this.sentMessages.push({ channel, phoneNumberId, recipient, template, messageId });
    return { messageId };
  }
}

/** A complete WabaSnapshot with defaults (ACTIVE, approved, ELIGIBLE for MM Lite, healthy). */
export function fakeWabaSnapshot(overrides: Partial<WabaSnapshot> & { id: string }): WabaSnapshot {
  return {
    name: `WABA ${overrides.id}`,
    status: 'ACTIVE',
    currency: 'USD',
    timezoneId: '1',
    country: 'US',
    accountReviewStatus: 'APPROVED',
    businessVerificationStatus: 'verified',
    ownershipType: 'CLIENT_OWNED',
    ownerBusinessId: '506914307656634',
    ownerBusinessName: 'Lucky Shrub',
    marketingMessagesOnboardingStatus: 'ELIGIBLE',
    ownerBusinessTermsStatus: null,
    healthStatus: { canSendMessage: 'AVAILABLE', entities: [] },
    ...overrides,
  };
}

/** A complete PhoneNumberSnapshot with defaults (CONNECTED, GREEN, Cloud API). */
export function fakePhoneNumberSnapshot(overrides: Partial<PhoneNumberSnapshot> & { id: string }): PhoneNumberSnapshot {
  return {
    displayPhoneNumber: '15550783881',
    verifiedName: 'Lucky Shrub',
    qualityRating: 'GREEN',
    status: 'CONNECTED',
    nameStatus: 'APPROVED',
    codeVerificationStatus: 'VERIFIED',
    platformType: 'CLOUD_API',
    throughputLevel: 'STANDARD',
    messagingLimitTier: 'TIER_1K',
    healthStatus: { canSendMessage: 'AVAILABLE', entities: [] },
    ...overrides,
  };
}

function defaultInspection(grantedWabaIds: string[]): TokenInspection {
  return {
    isValid: true,
    appId: '634974688087057',
    expiresAt: null,
    scopes: ['whatsapp_business_management', 'whatsapp_business_messaging'],
    grantedWabaIds,
    error: null,
  };
}

function notFound(id: string): MetaGatewayException {
  return new MetaGatewayException(
    MetaGatewayErrorCode.NOT_FOUND,
    `Unsupported get request. Object with ID '${id}' does not exist`,
    { httpStatus: 400, metaCode: 100, metaSubcode: 33 },
  );
}
