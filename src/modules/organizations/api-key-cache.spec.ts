import { ApiKeyCache } from './api-key-cache';
import type { ActiveApiKeyRow } from './api-key.repository';

const key = (keyHash: string): ActiveApiKeyRow => ({
  id: `id-${keyHash}`,
  organizationId: 'org',
  keyHash,
  lastUsedAt: null,
});

describe('ApiKeyCache', () => {
  it('should remember nothing until revocations are heard, and forget everything when they no longer are', () => {
    const cache = new ApiKeyCache(60_000, 10);
    cache.remember(key('a'), cache.generation);
    expect(cache.find('a')).toBeNull();

    cache.enable();
    cache.remember(key('a'), cache.generation);
    expect(cache.find('a')).toEqual(key('a'));

    cache.disable();
    expect(cache.trusted).toBe(false);
    expect(cache.find('a')).toBeNull();
    cache.enable();
    expect(cache.find('a')).toBeNull();
  });

  it('should not keep the answer of a lookup that ran while a key was revoked, or while it began deaf', () => {
    const cache = new ApiKeyCache(60_000, 10);
    const beforeEnable = cache.generation;
    cache.enable();
    cache.remember(key('a'), beforeEnable);
    expect(cache.find('a')).toBeNull();

    const beforeRevocation = cache.generation;
    cache.forget('b');
    cache.remember(key('a'), beforeRevocation);
    expect(cache.find('a')).toBeNull();

    cache.remember(key('a'), cache.generation);
    cache.forget('a');
    expect(cache.find('a')).toBeNull();
  });

  it('should trust a key for its time to live at most, and hold a bounded number', () => {
    const cache = new ApiKeyCache(1_000, 2);
    cache.enable();
    cache.remember(key('a'), cache.generation, 0);
    expect(cache.find('a', 999)).not.toBeNull();
    expect(cache.find('a', 1_000)).toBeNull();

    cache.remember(key('a'), cache.generation, 0);
    cache.remember(key('b'), cache.generation, 0);
    cache.remember(key('c'), cache.generation, 0);
    expect(cache.find('a', 1)).toBeNull();
    expect(cache.find('b', 1)).not.toBeNull();
    expect(cache.find('c', 1)).not.toBeNull();
  });

  it("should note a remembered key's last use", () => {
    const cache = new ApiKeyCache(60_000, 10);
    cache.enable();
    cache.remember(key('a'), cache.generation);
    const at = new Date('2026-12-04T23:00:00Z');
    cache.touched('a', at);
    expect(cache.find('a')?.lastUsedAt).toEqual(at);
  });
});
