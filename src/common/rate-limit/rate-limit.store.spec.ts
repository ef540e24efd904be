import { gcraDecision, gcraParameters } from './rate-limit.store';

describe('GCRA parameters and decisions', () => {
  it('should let N units fit the capacity exactly, even when 60 s does not divide by N', () => {
    for (const limit of [1, 7, 600, 1_000_000_000]) {
      const sut = gcraParameters(limit);
      expect(sut.emissionUs).toBeGreaterThanOrEqual(1);
      expect(sut.capacityUs).toBe(sut.emissionUs * limit);
    }
  });

  it('should report the units left after an admission, and when the next one comes once none are', () => {
    const parameters = gcraParameters(10); // one unit per 6 s
    const now = 1_000_000_000;

    expect(gcraDecision(parameters, now, now + 6_000_000, null)).toEqual({
      allowed: true,
      remaining: 9,
      retryAfterMs: 0,
    });
    expect(gcraDecision(parameters, now, now + 60_000_000, null)).toEqual({
      allowed: true,
      remaining: 0,
      retryAfterMs: 6_000,
    });
  });

  it('should tell a refused caller when the bucket admits again', () => {
    const parameters = gcraParameters(10);
    const now = 1_000_000_000;

    expect(gcraDecision(parameters, now, null, now + 58_000_000)).toEqual({
      allowed: false,
      remaining: 0,
      retryAfterMs: 4_000,
    });
    expect(gcraDecision(parameters, now, null, null).retryAfterMs).toBe(6_000);
  });
});
