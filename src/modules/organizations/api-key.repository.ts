import { EntityRepository } from '@mikro-orm/postgresql';

import { preparedRead } from 'src/common/database/bound-sql';

import type { ApiKey } from './api-key.entity';

/** An active key as authentication needs it: no managed entity, no identity map. */
export interface ActiveApiKeyRow {
  id: string;
  organizationId: string;
  keyHash: string;
  lastUsedAt: Date | null;
}

/**
 * The queries on `api_keys` that run on every request: the lookup by hash and the `lastUsedAt` stamp. Raw
 * SQL, so not tenant filtered; both are across tenants by design (the key is what tells whose request it is).
 */
export class ApiKeyRepository extends EntityRepository<ApiKey> {
  /** The active key with this SHA-256 (hex), read in one prepared statement; null when unknown or revoked. */
  async findActiveByHash(keyHash: string): Promise<ActiveApiKeyRow | null> {
    const [row] = await preparedRead<{
      id: string;
      organization_id: string;
      key_hash: string;
      last_used_at: Date | string | null;
    }>(
      this.getEntityManager(),
      'SELECT id, organization_id, key_hash, last_used_at FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL LIMIT 1',
      [keyHash],
    );
    if (!row) {
      return null;
    }
    return {
      id: row.id,
      organizationId: row.organization_id,
      keyHash: row.key_hash,
      lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at),
    };
  }

  /** Stamps the key's last use. */
  async touchLastUsed(apiKeyId: string, at: Date): Promise<void> {
    await this.getEntityManager().execute('UPDATE api_keys SET last_used_at = ? WHERE id = ?', [at, apiKeyId], 'run');
  }
}
