import { Logger } from '@nestjs/common';

import { MetaThrottleRegistry } from './meta-throttle.registry';
import type { BusinessUseCaseUsage } from './meta-gateway.types';
import { MetaThrottleStore, type SharedPause } from './meta-throttle.store';

/** The shared store as a map, for two registries standing for two instances. */
class MapThrottleStore extends MetaThrottleStore {
  readonly pauses = new Map<string, number>();

  pause(scope: string, untilMs: number): Promise<void> {
    this.pauses.set(scope, Math.max(untilMs, this.pauses.get(scope) ?? 0));
    return Promise.resolve();
  }

  active(): Promise<SharedPause[]> {
    const now = Date.now();
    return Promise.resolve(
      [...this.pauses].filter(([, untilMs]) => untilMs > now).map(([scope, untilMs]) => ({ scope, untilMs })),
    );
  }

  sweep(beforeMs: number): Promise<void> {
    for (const [scope, untilMs] of this.pauses) {
      if (untilMs < beforeMs) {
        this.pauses.delete(scope);
      }
    }
    return Promise.resolve();
  }
}

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

  describe('shared by instances through a store', () => {
    const soon = (): Date => new Date();

    afterEach(() => {
      jest.restoreAllMocks();
    });

    it("should answer from its own copy until it reloads another instance's pauses", async () => {
      const store = new MapThrottleStore();
      const first = new MetaThrottleRegistry(store);
      const second = new MetaThrottleRegistry(store);

      first.pauseObject('111', 600, soon());
      await first.onModuleDestroy();

      expect(store.pauses.has('111')).toBe(true);
      expect(second.throttledUntil('111')).toBeNull();
      await second.refresh();
      expect(second.throttledUntil('111')).toEqual(new Date(store.pauses.get('111') as number));
    });

    it("should share the app's pause and never shorten a longer one on reload", async () => {
      const store = new MapThrottleStore();
      const first = new MetaThrottleRegistry(store);
      const second = new MetaThrottleRegistry(store);
      second.pauseObject('111', 600, soon());

      first.pauseObject('111', 60, soon());
      first.pauseApp(120, soon());
      await first.onModuleDestroy();
      await second.refresh();

      expect(second.throttledUntil('111')?.getTime()).toBeGreaterThan(Date.now() + 500_000);
      expect(second.throttledUntil('222')?.getTime()).toBeGreaterThan(Date.now() + 100_000);
    });

    it('should keep its own pauses when the store fails', async () => {
      const store = new MapThrottleStore();
      jest.spyOn(store, 'pause').mockRejectedValue(new Error('down'));
      jest.spyOn(store, 'active').mockRejectedValue(new Error('down'));
      const sut = new MetaThrottleRegistry(store);
      jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);

      sut.pauseObject('111', 600, soon());
      await sut.refresh();
      await sut.onModuleDestroy();

      expect(sut.throttledUntil('111')).not.toBeNull();
    });
  });
});
