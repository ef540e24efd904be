import { isStale, observeFact, recordObservation, WABA_FACT_AS_OF } from './waba-facts';
import type { Waba } from './waba.entity';

type AsOf = Pick<Waba, (typeof WABA_FACT_AS_OF)[keyof typeof WABA_FACT_AS_OF]>;

function asOf(overrides: Partial<AsOf> = {}): AsOf {
  return {
    banStateAt: null,
    disconnectionAt: null,
    connectionAt: null,
    countryAt: null,
    accountReviewStatusAt: null,
    restrictionsAt: null,
    mmLiteTermsStatusAt: null,
    snapshotAt: null,
    webhooksCheckedAt: null,
    ...overrides,
  };
}

const AT = new Date('2026-01-15T12:00:00.500Z');

describe('waba-facts', () => {
  it('should apply the first report of a fact and record its time', () => {
    const waba = asOf();
    const apply = jest.fn();
    expect(observeFact(waba, 'country', AT, apply)).toBe(true);
    expect(apply).toHaveBeenCalledTimes(1);
    expect(waba.countryAt).toEqual(AT);
  });

  it('should refuse an older report of the same fact without calling apply', () => {
    const waba = asOf({ accountReviewStatusAt: AT });
    const apply = jest.fn();
    expect(observeFact(waba, 'accountReviewStatus', new Date(AT.getTime() - 3_600_000), apply)).toBe(false);
    expect(apply).not.toHaveBeenCalled();
    expect(waba.accountReviewStatusAt).toEqual(AT);
  });

  it('should compare in whole seconds, so a report of the same second applies in arrival order', () => {
    const waba = asOf({ banStateAt: AT });
    const sameSecond = new Date('2026-01-15T12:00:00.000Z');
    expect(isStale(waba, 'banState', sameSecond)).toBe(false);
    expect(observeFact(waba, 'banState', sameSecond, () => undefined)).toBe(true);
    // The recorded time never moves backwards.
    expect(waba.banStateAt).toEqual(AT);
    expect(isStale(waba, 'banState', new Date('2026-01-15T11:59:59.999Z'))).toBe(true);
  });

  it('should date each fact on its own: a newer ban does not make an older review decision apply or fail', () => {
    const waba = asOf({ banStateAt: new Date(AT.getTime() + 60_000) });
    expect(isStale(waba, 'accountReviewStatus', AT)).toBe(false);
    recordObservation(waba, 'accountReviewStatus', AT);
    expect(isStale(waba, 'banState', AT)).toBe(true);
    expect(waba.accountReviewStatusAt).toEqual(AT);
  });
});
