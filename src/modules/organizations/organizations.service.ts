import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

import { EntityManager, LockMode } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';

import { NotFoundDomainException } from 'src/common/exceptions/domain.exception';

import { ApiKey } from './api-key.entity';
import { ApiKeyCache } from './api-key-cache';
import { ApiKeyRepository } from './api-key.repository';
import {
  API_KEY_LAST_USED_RESOLUTION_MS,
  API_KEY_MAX_ACTIVE_PER_ORGANIZATION,
  API_KEY_PREFIX,
  API_KEY_RANDOM_BYTES,
} from './organizations.constants';
import { ApiKeyLimitReachedException } from './organizations.exception';
import { Organization } from './organization.entity';

/** A freshly minted key with its plaintext, which exists only in this object. */
export interface MintedApiKey {
  apiKey: ApiKey;
  key: string;
}

/** Organizations (tenants) and their API keys; the owner of both tables. */
@Injectable()
export class OrganizationsService {
  constructor(
    private readonly em: EntityManager,
    private readonly apiKeys: ApiKeyRepository,
    private readonly keyCache: ApiKeyCache,
  ) {}

  /** Creates an organization together with its first API key. */
  async createOrganization(name: string): Promise<{ organization: Organization; minted: MintedApiKey }> {
    const organization = new Organization(name);
    const minted = this.mint(organization, 'default');
    this.em.persist([organization, minted.apiKey]);
    await this.em.flush();
    return { organization, minted };
  }

  /** The organization, which exists whenever its key authenticated. */
  async getOrganization(organizationId: string): Promise<Organization> {
    const organization = await this.em.findOne(Organization, { id: organizationId });
    if (!organization) {
      throw new NotFoundDomainException('Organization', organizationId);
    }
    return organization;
  }

  /**
   * Mints another key for the organization, unless it already has {@link API_KEY_MAX_ACTIVE_PER_ORGANIZATION}
   * active ones (ApiKeyLimitReachedException).
   */
  async createApiKey(organizationId: string, name: string | null): Promise<MintedApiKey> {
    return this.em.transactional(async (em) => {
      // Locking the organization row serialises concurrent creations, so two cannot both take the last slot.
      const organization = await em.findOneOrFail(
        Organization,
        { id: organizationId },
        { lockMode: LockMode.PESSIMISTIC_WRITE },
      );
      const active = await em.count(ApiKey, { organization: organizationId, revokedAt: null });
      if (active >= API_KEY_MAX_ACTIVE_PER_ORGANIZATION) {
        throw new ApiKeyLimitReachedException(API_KEY_MAX_ACTIVE_PER_ORGANIZATION);
      }
      const minted = this.mint(organization, name);
      em.persist(minted.apiKey);
      return minted;
    });
  }

  /** Active keys of the organization, oldest first. */
  async listApiKeys(organizationId: string): Promise<ApiKey[]> {
    return this.em.find(
      ApiKey,
      { organization: organizationId, revokedAt: null },
      { orderBy: { createdAt: 'asc', id: 'asc' } },
    );
  }

  /**
   * Revokes a key of the organization; from the next request on it no longer authenticates, on this instance at
   * once and on the others as soon as PostgreSQL's notification of the commit reaches them (ApiKeyRevocations).
   */
  async revokeApiKey(organizationId: string, apiKeyId: string): Promise<void> {
    const keyHash = await this.apiKeys.revoke(organizationId, apiKeyId, new Date());
    if (keyHash === null) {
      throw new NotFoundDomainException('API key', apiKeyId);
    }
    this.keyCache.forget(keyHash);
  }

  /**
   * Resolves a presented key to its active record, or null. The lookup is by the key's SHA-256 (an exact
   * index match that reveals nothing about how close a guess was), confirmed with a constant-time compare.
   */
  async authenticate(presentedKey: string): Promise<{ apiKeyId: string; organizationId: string } | null> {
    if (!presentedKey.startsWith(API_KEY_PREFIX) || presentedKey.length > 200) {
      return null;
    }
    const digest = hashKey(presentedKey);
    // Across tenants: the key is what tells whose request this is; no organization is known yet. One
    // statement shaped without an entity, unless this instance looked the key up moments ago and has heard
    // every revocation since (ApiKeyCache): a revocation still holds at once on every instance.
    let apiKey = this.keyCache.find(digest);
    if (!apiKey) {
      const generation = this.keyCache.generation;
      apiKey = await this.apiKeys.findActiveByHash(digest);
      if (apiKey) {
        this.keyCache.remember(apiKey, generation);
      }
    }
    if (!apiKey || !timingSafeEqual(Buffer.from(apiKey.keyHash, 'hex'), Buffer.from(digest, 'hex'))) {
      return null;
    }
    const now = Date.now();
    if (!apiKey.lastUsedAt || now - apiKey.lastUsedAt.getTime() > API_KEY_LAST_USED_RESOLUTION_MS) {
      // Across tenants: still before the request is scoped; the row is the key that just authenticated.
      await this.apiKeys.touchLastUsed(apiKey.id, new Date(now));
      this.keyCache.touched(digest, new Date(now));
    }
    return { apiKeyId: apiKey.id, organizationId: apiKey.organizationId };
  }

  private mint(organization: Organization, name: string | null): MintedApiKey {
    const key = `${API_KEY_PREFIX}${randomBytes(API_KEY_RANDOM_BYTES).toString('base64url')}`;
    const apiKey = new ApiKey(organization, hashKey(key), key.slice(0, 12), name);
    return { apiKey, key };
  }
}

function hashKey(key: string): string {
  // One-shot: every API request hashes its key, and a Hash object per call cost more than the digest.
  return hash('sha256', key, 'hex');
}
