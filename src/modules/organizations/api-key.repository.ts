import { EntityRepository } from '@mikro-orm/postgresql';

import { boundRows, preparedRead } from 'src/common/database/bound-sql';

import type { ApiKey } from './api-key.entity';
import { API_KEY_REVOKED_CHANNEL } from './organizations.constants';

/** An active key as authentication needs it: no managed entity, no identity map. */
export interface ActiveApiKeyRow {
  id: string;
  organizationId: string;
  keyHash: string;
  lastUsedAt: Date | null;
}

/**
 * The queries on `api_keys` that run on requests: the lookup by hash, the `lastUsedAt` stamp, the revocation. Raw
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

  /**
   * Revokes the organization's key if active, and notifies {@link API_KEY_REVOKED_CHANNEL} with its hash in the
   * same statement, so that every instance hears it exactly when it commits; returns the hash, or null when no
   * such active key.
   */
  async revoke(organizationId: string, apiKeyId: string, at: Date): Promise<string | null> {
    const [row] = await boundRows<{ key_hash: string }>(
      this.getEntityManager(),
      `WITH revoked AS (
         UPDATE api_keys SET revoked_at = ? WHERE id = ? AND organization_id = ? AND revoked_at IS NULL
         RETURNING key_hash)
       SELECT key_hash, pg_notify(?, key_hash) FROM revoked`,
      [at, apiKeyId, organizationId, API_KEY_REVOKED_CHANNEL],
    );
    return row?.key_hash ?? null;
  }

  /** Stamps the key's last use. */
  async touchLastUsed(apiKeyId: string, at: Date): Promise<void> {
    await this.getEntityManager().execute('UPDATE api_keys SET last_used_at = ? WHERE id = ?', [at, apiKeyId], 'run');
  }
}
