import { Logger } from '@nestjs/common';

import { RedisRateLimitStore } from './redis-rate-limit.store';

describe(RedisRateLimitStore.name, () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('should let requests through and warn once when Redis is unreachable', async () => {
    const warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    // Port 9 (discard) is closed on loopback: every command fails at once.
    const sut = new RedisRateLimitStore('redis://127.0.0.1:9');
    try {
      const decisions = [await sut.consume('organization:x', 1), await sut.consume('organization:x', 1)];

      expect(decisions).toEqual([
        { allowed: true, remaining: 1, retryAfterMs: 0 },
        { allowed: true, remaining: 1, retryAfterMs: 0 },
      ]);
      expect(warnings).toHaveBeenCalledTimes(1);
    } finally {
      await sut.onModuleDestroy();
    }
  });
});
