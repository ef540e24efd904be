import type { ActiveApiKeyRow } from './api-key.repository';
import { API_KEY_CACHE_MAX, API_KEY_CACHE_TTL_MS } from './organizations.constants';

interface Entry {
  key: ActiveApiKeyRow;
  expiresAtMs: number;
}

/**
 * The keys this instance looked up, so that a request does not read `api_keys` again for a key seen moments ago.
 * A revocation must still hold at once on every instance, so the cache is trusted only while it hears every
 * revocation ({@link ApiKeyRevocations} listens to PostgreSQL's notifications and calls {@link enable} /
 * {@link disable}): disabled, it holds nothing and every request reads the table.
 *
 * A lookup that ran while a key was forgotten must not put its (possibly older) answer back: the
 * {@link generation} taken before the read is handed to {@link remember}, which drops the answer when anything
 * was forgotten since.
 */
export class ApiKeyCache {
  private readonly entries = new Map<string, Entry>();
  private enabled = false;
  private forgotten = 0;

  constructor(
    private readonly ttlMs = API_KEY_CACHE_TTL_MS,
    private readonly max = API_KEY_CACHE_MAX,
  ) {}

  /** Counts every forgetting; take it before a lookup and pass it to {@link remember}. */
  get generation(): number {
    return this.forgotten;
  }

  /** Whether revocations are heard, so that keys may be remembered. */
  get trusted(): boolean {
    return this.enabled;
  }

  /** The key remembered for this hash, if any and still fresh. */
  find(keyHash: string, nowMs = Date.now()): ActiveApiKeyRow | null {
    const entry = this.entries.get(keyHash);
    if (!entry) {
      return null;
    }
    if (entry.expiresAtMs <= nowMs || !this.enabled) {
      this.entries.delete(keyHash);
      return null;
    }
    return entry.key;
  }

  /** Remembers a key a lookup found active, unless revocations are not heard or anything was forgotten since `generation`. */
  remember(key: ActiveApiKeyRow, generation: number, nowMs = Date.now()): void {
    if (!this.enabled || generation !== this.forgotten) {
      return;
    }
    if (this.entries.size >= this.max && !this.entries.has(key.keyHash)) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) {
        this.entries.delete(oldest.value);
      }
    }
    this.entries.set(key.keyHash, { key, expiresAtMs: nowMs + this.ttlMs });
  }

  /** Notes a `lastUsedAt` written for a remembered key. */
  touched(keyHash: string, at: Date): void {
    const entry = this.entries.get(keyHash);
    if (entry) {
      entry.key = { ...entry.key, lastUsedAt: at };
    }
  }

  /** Forgets a key (it was revoked). */
  forget(keyHash: string): void {
    this.forgotten += 1;
    this.entries.delete(keyHash);
  }

  /**
   * Revocations are heard from now on. A lookup that began before may have read a key whose revocation was
   * not heard: it counts as forgotten-since, so its answer is not kept.
   */
  enable(): void {
    this.enabled = true;
    this.forgotten += 1;
  }

  /** Revocations may be missed from now on: forget everything and remember nothing until {@link enable}. */
  disable(): void {
    this.enabled = false;
    this.forgotten += 1;
    this.entries.clear();
  }
}
