import { createHash } from 'node:crypto';

import { Pool } from 'pg';

import { ApiKeyCache } from 'src/modules/organizations/api-key-cache';
import { ApiKeyRepository } from 'src/modules/organizations/api-key.repository';
import { ApiKeyRevocations } from 'src/modules/organizations/api-key-revocations';
import { createTestApp, type TestApp } from 'test/utils/create-test-app';

/**
 * Keys an instance looked up are not read again on its next requests (ApiKeyCache), yet a revocation made on
 * one instance holds on the others as soon as PostgreSQL's notification of its commit arrives, and an instance
 * that could have missed one trusts nothing it remembered.
 */
describe('API key revocations across instances (e2e)', () => {
  let first: TestApp;
  let second: TestApp;
  let pool: Pool;

  const hash = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');
  const organization = (sut: TestApp, key: string) =>
    sut.http().get('/api/v1/organization').set('Authorization', `Bearer ${key}`);

  beforeAll(async () => {
    first = await createTestApp();
    second = await createTestApp({ databaseUrl: first.databaseUrl }, first.simulator);
    pool = new Pool({ connectionString: first.databaseUrl, max: 1 });
  });

  afterAll(async () => {
    await pool.end();
    await second.close({ keepDatabase: true, keepSimulator: true });
    await first.close();
  });

  async function mintSecondKey(key: string): Promise<{ id: string; key: string }> {
    const minted = await first
      .http()
      .post('/api/v1/organization/api-keys')
      .set('Authorization', `Bearer ${key}`)
      .send({ name: 'other instance' })
      .expect(201);
    return minted.body as { id: string; key: string };
  }

  async function eventually(check: () => Promise<boolean>): Promise<boolean> {
    for (let attempt = 0; attempt < 100; attempt++) {
      if (await check()) {
        return true;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return false;
  }

  it('should refuse a key revoked on another instance, though that one remembered it', async () => {
    const { key } = await first.createOrganization('Two instances');
    const other = await mintSecondKey(key);
    await organization(second, other.key).expect(200);
    expect(second.app.get(ApiKeyCache).find(hash(other.key))).not.toBeNull();
    const lookups = jest.spyOn(ApiKeyRepository.prototype, 'findActiveByHash');
    try {
      await organization(second, other.key).expect(200);
      expect(lookups).not.toHaveBeenCalled();
    } finally {
      lookups.mockRestore();
    }

    await first
      .http()
      .delete(`/api/v1/organization/api-keys/${other.id}`)
      .set('Authorization', `Bearer ${key}`)
      .expect(204);
    await organization(first, other.key).expect(401);
    expect(await eventually(async () => (await organization(second, other.key)).status === 401)).toBe(true);
    expect(second.app.get(ApiKeyCache).find(hash(other.key))).toBeNull();
    await organization(second, key).expect(200);
  });

  it('should forget every key when its listening connection is lost, so that a missed revocation still holds', async () => {
    const { key } = await first.createOrganization('Deaf instance');
    const other = await mintSecondKey(key);
    await organization(second, other.key).expect(200);
    const revocations = second.app.get(ApiKeyRevocations);
    const pid = revocations.backendPid;
    expect(pid).not.toBeNull();

    await pool.query('SELECT pg_terminate_backend($1)', [pid]);
    expect(await eventually(() => Promise.resolve((revocations.backendPid ?? pid) !== pid))).toBe(true);
    // Revoked behind the service's back: no notification, as if it had been sent while the connection was down.
    await pool.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [other.id]);
    await organization(second, other.key).expect(401);
    await organization(second, key).expect(200);
  });
});
