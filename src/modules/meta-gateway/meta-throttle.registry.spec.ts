import { MetaThrottleRegistry } from './meta-throttle.registry';
import type { BusinessUseCaseUsage } from './meta-gateway.types';

const NOW = new Date('2026-01-01T00:00:00Z');

function usage(overrides: Partial<BusinessUseCaseUsage>): BusinessUseCaseUsage {
  return {
    businessObjectId: '111',
    type: 'whatsapp_business_management',
    callCount: 1,
    totalCputime: 1,
    totalTime: 1,
    estimatedTimeToRegainAccessMinutes: 0,
    ...overrides,
  };
}

describe(MetaThrottleRegistry.name, () => {
  let sut: MetaThrottleRegistry;

  beforeEach(() => {
    sut = new MetaThrottleRegistry();
  });

  it('should not throttle an object with low usage', () => {
    sut.recordBusinessUseCaseUsage([usage({ callCount: 89 })], NOW);

    expect(sut.throttledUntil('111', NOW)).toBeNull();
  });

  it('should throttle for estimated_time_to_regain_access minutes', () => {
    sut.recordBusinessUseCaseUsage([usage({ callCount: 100, estimatedTimeToRegainAccessMinutes: 19 })], NOW);

    expect(sut.throttledUntil('111', NOW)).toEqual(new Date(NOW.getTime() + 19 * 60_000));
    expect(sut.throttledUntil('222', NOW)).toBeNull();
  });

  it.each(['callCount', 'totalCputime', 'totalTime'] as const)(
    'should throttle for the default pause when %s reaches 90 %%',
    (field) => {
      sut.recordBusinessUseCaseUsage([usage({ [field]: 90 })], NOW);

      expect(sut.throttledUntil('111', NOW)).toEqual(new Date(NOW.getTime() + 60_000));
    },
  );

  it('should never shorten a pause and should forget it once expired', () => {
    sut.pauseObject('111', 600, NOW);
    sut.recordBusinessUseCaseUsage([usage({ callCount: 95 })], NOW);

    expect(sut.throttledUntil('111', NOW)).toEqual(new Date(NOW.getTime() + 600_000));
    expect(sut.throttledUntil('111', new Date(NOW.getTime() + 600_001))).toBeNull();
  });

  it('should throttle every object while the app is near its limit', () => {
    sut.recordAppUsage({ callCount: 95, totalCputime: 10, totalTime: 10 }, NOW);

    expect(sut.throttledUntil('anything', NOW)).toEqual(new Date(NOW.getTime() + 60_000));
  });

  it('should ignore a calm or missing app usage', () => {
    sut.recordAppUsage({ callCount: 28, totalCputime: 25, totalTime: 25 }, NOW);
    sut.recordAppUsage(null, NOW);

    expect(sut.throttledUntil('111', NOW)).toBeNull();
  });
});
