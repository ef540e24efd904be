import type { MetaGateway } from 'src/modules/meta-gateway/meta-gateway';
import type { MultiReadResult } from 'src/modules/meta-gateway/meta-gateway.types';

import type { ConcurrencyLimiter } from './sync-round.limiter';
import type { WabaReads } from './waba-sync.service';

/**
 * What a sync round reads of Meta: one WABA's fields, numbers and terms ({@link WabaReads}, for a per-WABA
 * read), the multi-ID reads of a group, and whether Meta throttles a WABA. The gateway provides them all.
 */
export interface SyncRoundReads
  extends WabaReads, Pick<MetaGateway, 'getWabas' | 'getPhoneNumbers' | 'throttledUntil'> {}

/**
 * The reads as one round makes them: every call goes through the round's {@link ConcurrencyLimiter}
 * (SYNC_CONCURRENCY Graph calls in flight per instance) and is counted for the round's `metaCalls`.
 * Multi-ID reads count the HTTP requests the gateway reports (retries included); the others count one per
 * logical call.
 */
export class LimitedSyncRoundReads implements SyncRoundReads {
  private count = 0;

  constructor(
    private readonly inner: SyncRoundReads,
    private readonly limiter: ConcurrencyLimiter,
  ) {}

  /** Graph calls made through these reads so far. */
  get calls(): number {
    return this.count;
  }

  getWaba: SyncRoundReads['getWaba'] = (wabaId, token) => this.limited(() => this.inner.getWaba(wabaId, token));

  getWabas: SyncRoundReads['getWabas'] = (wabaIds, token) =>
    this.limitedMulti(() => this.inner.getWabas(wabaIds, token));

  listPhoneNumbers: SyncRoundReads['listPhoneNumbers'] = (wabaId, token) =>
    this.limited(() => this.inner.listPhoneNumbers(wabaId, token));

  getPhoneNumbers: SyncRoundReads['getPhoneNumbers'] = (phoneNumberIds, token) =>
    this.limitedMulti(() => this.inner.getPhoneNumbers(phoneNumberIds, token));

  getBusinessTermsStatus: SyncRoundReads['getBusinessTermsStatus'] = (businessId, token) =>
    this.limited(() => this.inner.getBusinessTermsStatus(businessId, token));

  throttledUntil: SyncRoundReads['throttledUntil'] = (businessObjectId) => this.inner.throttledUntil(businessObjectId);

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
