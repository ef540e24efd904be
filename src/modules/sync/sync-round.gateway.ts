import { MetaGateway } from 'src/modules/meta-gateway/meta-gateway';
import type {
  ExchangedToken,
  MmLiteTermsStatus,
  MultiReadResult,
  PhoneNumberSnapshot,
  SentMessage,
  TemplateMessage,
  TokenInspection,
  WabaSnapshot,
} from 'src/modules/meta-gateway/meta-gateway.types';

import type { ConcurrencyLimiter } from './sync-round.limiter';

/**
 * The gateway as one sync round sees it: every call goes through the round's {@link ConcurrencyLimiter}
 * (SYNC_CONCURRENCY Graph calls in flight per instance) and is counted for the round's `metaCalls`.
 * Multi-ID reads count the HTTP requests the gateway reports (retries included); the others count one
 * per logical call. Writes are not part of a round and pass straight through.
 */
export class SyncRoundMetaGateway extends MetaGateway {
  private count = 0;

  constructor(
    private readonly inner: MetaGateway,
    private readonly limiter: ConcurrencyLimiter,
  ) {
    super();
  }

  /** Graph calls made through this gateway so far. */
  get calls(): number {
    return this.count;
  }

  exchangeCode(code: string): Promise<ExchangedToken> {
    return this.inner.exchangeCode(code);
  }

  inspectToken(inputToken: string): Promise<TokenInspection> {
    return this.limited(() => this.inner.inspectToken(inputToken));
  }

  getWaba(wabaId: string, token: string): Promise<WabaSnapshot> {
    return this.limited(() => this.inner.getWaba(wabaId, token));
  }

  getWabas(wabaIds: string[], token: string): Promise<MultiReadResult<WabaSnapshot>> {
    return this.limitedMulti(() => this.inner.getWabas(wabaIds, token));
  }

  listPhoneNumbers(wabaId: string, token: string): Promise<PhoneNumberSnapshot[]> {
    return this.limited(() => this.inner.listPhoneNumbers(wabaId, token));
  }

  getPhoneNumber(phoneNumberId: string, token: string): Promise<PhoneNumberSnapshot> {
    return this.limited(() => this.inner.getPhoneNumber(phoneNumberId, token));
  }

  getPhoneNumbers(phoneNumberIds: string[], token: string): Promise<MultiReadResult<PhoneNumberSnapshot>> {
    return this.limitedMulti(() => this.inner.getPhoneNumbers(phoneNumberIds, token));
  }

  subscribeApp(wabaId: string, token: string): Promise<void> {
    return this.inner.subscribeApp(wabaId, token);
  }

  registerPhoneNumber(phoneNumberId: string, pin: string, token: string): Promise<void> {
    return this.inner.registerPhoneNumber(phoneNumberId, pin, token);
  }

  getBusinessTermsStatus(businessId: string, token: string): Promise<MmLiteTermsStatus | null> {
    return this.limited(() => this.inner.getBusinessTermsStatus(businessId, token));
  }

  sendTemplateMessage(
    phoneNumberId: string,
    to: string,
    template: TemplateMessage,
    token: string,
  ): Promise<SentMessage> {
    return this.inner.sendTemplateMessage(phoneNumberId, to, template, token);
  }

  sendMarketingMessage(
    phoneNumberId: string,
    to: string,
    template: TemplateMessage,
    token: string,
  ): Promise<SentMessage> {
    return this.inner.sendMarketingMessage(phoneNumberId, to, template, token);
  }

  throttledUntil(businessObjectId: string): Date | null {
    return this.inner.throttledUntil(businessObjectId);
  }

  private limited<T>(call: () => Promise<T>): Promise<T> {
    return this.limiter.run(() => {
      this.count += 1;
      return call();
    });
  }

  private async limitedMulti<T>(call: () => Promise<MultiReadResult<T>>): Promise<MultiReadResult<T>> {
    const result = await this.limiter.run(call);
    this.count += result.calls;
    return result;
  }
}
