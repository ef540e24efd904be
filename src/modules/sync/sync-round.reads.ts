import type { MetaGateway } from 'src/modules/meta-gateway/meta-gateway';
import type { MultiReadResult, PhoneNumberSnapshot } from 'src/modules/meta-gateway/meta-gateway.types';

import { SYNC_ROUND_IDS_PER_CALL } from './sync-round.constants';
import type { ConcurrencyLimiter } from './sync-round.limiter';
import type { WabaReads } from './waba-sync.service';

/**
 * What a sync round reads of Meta: one WABA's fields, numbers and terms ({@link WabaReads}, for a per-WABA
 * read), the multi-ID reads of a group (the WABAs' templates too, when due), and whether Meta throttles a WABA. The gateway provides them all.
 */
export interface SyncRoundReads
  extends WabaReads, Pick<MetaGateway, 'getWabas' | 'getPhoneNumbers' | 'readTemplatesOfWabas' | 'throttledUntil'> {}

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

  readTemplatesOfWabas: SyncRoundReads['readTemplatesOfWabas'] = (wabaIds, token) =>
    this.limitedMulti(() => this.inner.readTemplatesOfWabas(wabaIds, token));

  getBusinessTermsStatus: SyncRoundReads['getBusinessTermsStatus'] = (businessId, token) =>
    this.limited(() => this.inner.getBusinessTermsStatus(businessId, token));

  throttledUntil: SyncRoundReads['throttledUntil'] = (businessObjectId) => this.inner.throttledUntil(businessObjectId);

  private limited<T>(call: () => Promise<T>): Promise<T> {
    return this.limiter.run(() => {
      this.count += 1;
      return call();
    });
  }

  private async limitedMulti<R extends { calls: number }>(call: () => Promise<R>): Promise<R> {
    const result = await this.limiter.run(call);
    this.count += result.calls;
    return result;
  }
}

/**
 * The numbers' multi-ID reads: one call per {@link SYNC_ROUND_IDS_PER_CALL} IDs, all at once, so that each
 * takes its own call slot of the round instead of one slot for calls made one after the other (a chunk of
 * WABAs with three numbers each would otherwise wait three latencies for its numbers).
 */
export async function readNumbers(
  gateway: LimitedSyncRoundReads,
  phoneIds: string[],
  token: string,
): Promise<MultiReadResult<PhoneNumberSnapshot>> {
  const slices: string[][] = [];
  for (let start = 0; start < phoneIds.length; start += SYNC_ROUND_IDS_PER_CALL) {
    slices.push(phoneIds.slice(start, start + SYNC_ROUND_IDS_PER_CALL));
  }
  const results = await Promise.all(slices.map((slice) => gateway.getPhoneNumbers(slice, token)));
  return {
    found: new Map(results.flatMap((result) => [...result.found])),
    failed: new Map(results.flatMap((result) => [...result.failed])),
    calls: results.reduce((calls, result) => calls + result.calls, 0),
  };
}
