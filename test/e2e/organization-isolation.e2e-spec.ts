import { MikroORM } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';

import { ACROSS_TENANTS, scopeToOrganization } from 'src/common/database/tenant-filter';
import { NotFoundDomainException } from 'src/common/exceptions/domain.exception';
import { AuditEvent } from 'src/modules/audit/audit-event.entity';
import { AuditEventType } from 'src/modules/audit/audit.constants';
import { ApiKey } from 'src/modules/organizations/api-key.entity';
import { PhoneNumber } from 'src/modules/phone-numbers/phone-number.entity';
import { Waba } from 'src/modules/wabas/waba.entity';
import { WabasService } from 'src/modules/wabas/wabas.service';
import { type SeededWaba, seedConnectedWabas } from 'test/factories/waba.factory';
import { createTestApp, type TestApp } from 'test/utils/create-test-app';
import { ChangeSource } from 'src/modules/audit/change-context';

const MISSING_SCOPE = "No arguments provided for filter 'tenant'";

describe('Organization isolation (e2e)', () => {
  let sut: TestApp;
  let orm: MikroORM;
  let orgA: { id: string; key: string };
  let orgB: { id: string; key: string };
  let wabasA: SeededWaba[];
  let wabasB: SeededWaba[];

  const sorted = (values: string[]) => [...values].sort();

  beforeAll(async () => {
    sut = await createTestApp();
    orm = sut.app.get(MikroORM);
    orgA = await sut.createOrganization('Tenant A');
    orgB = await sut.createOrganization('Tenant B');
    wabasA = await seedConnectedWabas(sut.app, sut.simulator, {
      organizationId: orgA.id,
      businesses: 1,
      wabasPerBusiness: 2,
    });
    wabasB = await seedConnectedWabas(sut.app, sut.simulator, {
      organizationId: orgB.id,
      businesses: 1,
      wabasPerBusiness: 1,
    });
    const seeding = orm.em.fork();
    for (const [organizationId, waba] of [
      [orgA.id, wabasA[0]],
      [orgB.id, wabasB[0]],
    ] as const) {
      seeding.persist(
        new AuditEvent({
          organizationId,
          type: AuditEventType.WABA_UPDATED,
          wabaId: waba.wabaId,
          phoneNumberId: null,
          source: ChangeSource.SYNC,
          actor: 'system',
          before: null,
          after: null,
          occurredAt: new Date(),
        }),
      );
    }
    await seeding.flush();
  });

  afterAll(async () => {
    await sut.close();
  });

  it('should refuse every ORM query of a tenant-owned entity made with no organization in scope', async () => {
    const em = orm.em.fork();

    await expect(em.find(Waba, {})).rejects.toThrow(MISSING_SCOPE);
    await expect(em.findOne(Waba, { wabaId: wabasB[0].wabaId })).rejects.toThrow(MISSING_SCOPE);
    await expect(em.count(Waba, {})).rejects.toThrow(MISSING_SCOPE);
    await expect(em.find(PhoneNumber, {})).rejects.toThrow(MISSING_SCOPE);
    await expect(em.find(ApiKey, {})).rejects.toThrow(MISSING_SCOPE);
    await expect(em.find(AuditEvent, {})).rejects.toThrow(MISSING_SCOPE);
    await expect(em.nativeUpdate(Waba, { wabaId: wabasB[0].wabaId }, { name: 'Hijacked' })).rejects.toThrow(
      MISSING_SCOPE,
    );
    await expect(em.nativeDelete(ApiKey, {})).rejects.toThrow(MISSING_SCOPE);

    // Nothing was written by the refused statements.
    const [row] = await em
      .getConnection()
      .execute<Array<{ name: string }>>('SELECT name FROM wabas WHERE waba_id = ?', [wabasB[0].wabaId]);
    expect(row?.name).not.toBe('Hijacked');
    const [keys] = await em
      .getConnection()
      .execute<Array<{ count: number }>>('SELECT count(*)::int AS count FROM api_keys');
    expect(keys?.count).toBe(2);
  });

  it("should show only the organization's rows to queries that forgot the condition once it is in scope", async () => {
    const em = orm.em.fork();
    scopeToOrganization(em, orgA.id);

    const wabas = await em.find(Waba, {});
    expect(sorted(wabas.map((waba) => waba.wabaId))).toEqual(sorted(wabasA.map((waba) => waba.wabaId)));
    const phones = await em.find(PhoneNumber, {}, { populate: ['waba'] });
    expect(sorted(phones.map((phone) => phone.phoneNumberId))).toEqual(
      sorted(wabasA.flatMap((waba) => waba.phoneNumberIds)),
    );
    const keys = await em.find(ApiKey, {});
    expect(keys.map((key) => key.organization.id)).toEqual([orgA.id]);
    const audit = await em.find(AuditEvent, {});
    expect(audit.map((event) => event.wabaId)).toEqual([wabasA[0].wabaId]);

    // Another organization's row is missing, and cannot be written through the ORM either.
    await expect(em.findOne(Waba, { wabaId: wabasB[0].wabaId })).resolves.toBeNull();
    await expect(em.findOne(PhoneNumber, { phoneNumberId: wabasB[0].phoneNumberIds[0] })).resolves.toBeNull();
    await expect(em.nativeUpdate(Waba, { wabaId: wabasB[0].wabaId }, { name: 'Hijacked' })).resolves.toBe(0);

    // Forks and transactions inherit the scope.
    const forked = await em.fork().find(Waba, {});
    expect(forked).toHaveLength(wabasA.length);
    const inTransaction = await em.transactional((tx) => tx.find(Waba, {}));
    expect(inTransaction).toHaveLength(wabasA.length);
  });

  it('should read across organizations only with the explicit opt-out', async () => {
    const em = orm.em.fork();
    const all = await em.find(
      Waba,
      { wabaId: { $in: [...wabasA, ...wabasB].map((waba) => waba.wabaId) } },
      { ...ACROSS_TENANTS, populate: ['organization'] },
    );
    expect(sorted(all.map((waba) => waba.organization.id))).toEqual(sorted([orgA.id, orgA.id, orgB.id]));

    // The opt-out wins over a scope set on the context, for that query only.
    scopeToOrganization(em, orgA.id);
    await expect(em.findOne(Waba, { wabaId: wabasB[0].wabaId }, { ...ACROSS_TENANTS })).resolves.not.toBeNull();
    await expect(em.findOne(Waba, { wabaId: wabasB[0].wabaId })).resolves.toBeNull();
  });

  it("should scope an API-key request to the key's organization even where a read forgot the condition", async () => {
    const wabas = sut.app.get(WabasService);
    // The request-scoped EntityManager, as every service injects it. The MM Lite panel reads its WABA
    // through getForOrganization (the detail reads a shaped row in SQL, which carries its own condition).
    const em = sut.app.get(EntityManager);
    const forgetful = jest.spyOn(wabas, 'getForOrganization').mockImplementation(async (_organizationId, wabaId) => {
      const waba = await em.findOne(Waba, { wabaId });
      if (!waba) {
        throw new NotFoundDomainException('WABA', wabaId);
      }
      return waba;
    });
    try {
      const asA = { Authorization: `Bearer ${orgA.key}` };
      const own = await sut.http().get(`/api/v1/wabas/${wabasA[0].wabaId}/mm-lite`).set(asA).expect(200);
      expect(own.body.wabaId).toBe(wabasA[0].wabaId);

      const foreign = await sut.http().get(`/api/v1/wabas/${wabasB[0].wabaId}/mm-lite`).set(asA).expect(404);
      expect(foreign.body.code).toBe('NOT_FOUND');

      await sut
        .http()
        .get(`/api/v1/wabas/${wabasB[0].wabaId}/mm-lite`)
        .set({ Authorization: `Bearer ${orgB.key}` })
        .expect(200);
      expect(forgetful).toHaveBeenCalledTimes(3);
    } finally {
      forgetful.mockRestore();
    }
  });
});
