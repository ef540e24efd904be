import type { EntityManager } from '@mikro-orm/postgresql';

import type { Transactions } from 'src/common/events/transactions';
import { FakeTransactions } from 'test/fakes/fake-transactions';
import type { SecretBox } from 'src/common/security/secret-box';
import { AuditEventType } from 'src/modules/audit/audit.constants';
import { AuditService } from 'src/modules/audit/audit.service';
import { ChangeSource } from 'src/modules/audit/change-context';
import { MetaGatewayErrorCode } from 'src/modules/meta-gateway/meta-gateway.exception';
import { WabaConnection, WebhookSubscriptionStatus } from 'src/modules/wabas/wabas.constants';
import type { WabasService } from 'src/modules/wabas/wabas.service';
import { FakeMetaGateway } from 'test/fakes/fake-meta-gateway';

import { PhoneNumberChanges } from './phone-number-changes';
import { PhoneNumber } from './phone-number.entity';
import type { PhoneNumberRepository } from './phone-number.repository';
import type { PhoneNumbersService } from './phone-numbers.service';
import { ONBOARDING_STEP_LEASE_MS, REGISTRATION_RETRY_BASE_MS, RegistrationStatus } from './phone-numbers.constants';
import { RegistrationService } from './registration.service';

type AuditEvent = ReturnType<AuditService['record']>;
type Waba = PhoneNumber['waba'];

const WABA_ID = '102290129340398';
const PHONE_ID = '106540352242922';
const PIN = '123456';
const NOW = new Date('2026-03-01T10:00:00Z');

/**
 * The background registration retries on fakes: Meta is the in-memory gateway, the database a number the
 * repository hands out once as due, and a "transaction" that runs its work at once.
 */
function setUp(connection = WabaConnection.CONNECTED) {
  const meta = new FakeMetaGateway();
  meta.setWaba({ id: WABA_ID });
  meta.setPhoneNumber(WABA_ID, { id: PHONE_ID, status: 'CONNECTED', platformType: 'CLOUD_API' });
  const waba = {
    id: 'waba-row',
    wabaId: WABA_ID,
    organization: { id: 'org' },
    connection,
    subscriptionStatus: WebhookSubscriptionStatus.SUBSCRIBED,
  } as unknown as Waba;
  const phone = Object.assign(new PhoneNumber({ id: 'org' } as never, waba, PHONE_ID, 'sealed'), {
    nextRegistrationAttemptAt: NOW,
  });
  const leases: Array<Date | null> = [];
  const persisted: AuditEvent[] = [];
  // The audit joins the running transaction: a fake one is always open here.
  const em = {
    persist: (entity: AuditEvent) => persisted.push(entity),
    getTransactionContext: () => ({}),
  } as unknown as EntityManager;
  const transactions = new FakeTransactions(em);
  let due = true;
  const repository = {
    claimDueRegistration: () => {
      const claimed = due ? phone : null;
      due = false;
      return Promise.resolve(claimed);
    },
    lock: () => {
      leases.push(phone.nextRegistrationAttemptAt);
      return Promise.resolve(phone);
    },
  } as unknown as PhoneNumberRepository;
  const wabas = {
    revealToken: () => Promise.resolve('business-token'),
    markReauthRequired: jest.fn(() => Promise.resolve()),
  };
  const sut = new RegistrationService(
    meta,
    wabas as unknown as WabasService,
    null as unknown as PhoneNumbersService,
    repository,
    new PhoneNumberChanges(new AuditService(em, transactions as unknown as Transactions)),
    transactions as unknown as Transactions,
    { open: () => PIN } as unknown as SecretBox,
  );
  return { sut, meta, phone, wabas, leases, persisted };
}

describe(RegistrationService.name, () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: NOW });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  describe('runDueRegistrations', () => {
    it('should register a due number under a lease and store what Meta reads back, audited as the system', async () => {
      const { sut, meta, phone, leases, persisted } = setUp();

      await expect(sut.runDueRegistrations(NOW)).resolves.toEqual({ attempted: 1 });

      expect(meta.registeredPins.get(PHONE_ID)).toBe(PIN);
      // Claimed with a lease before Meta was called, so a crash leaves it due again once the lease ends.
      expect(leases).toEqual([new Date(NOW.getTime() + ONBOARDING_STEP_LEASE_MS)]);
      expect(phone).toMatchObject({
        registrationStatus: RegistrationStatus.REGISTERED,
        registrationAttempts: 1,
        nextRegistrationAttemptAt: null,
        status: 'CONNECTED',
        platformType: 'CLOUD_API',
      });
      expect(persisted).toEqual([
        expect.objectContaining({
          type: AuditEventType.PHONE_NUMBER_UPDATED,
          source: ChangeSource.SYNC,
          actor: 'system',
          before: expect.objectContaining({ registrationStatus: RegistrationStatus.PENDING, status: null }),
          after: expect.objectContaining({
            registrationStatus: RegistrationStatus.REGISTERED,
            registrationErrorCode: null,
            status: 'CONNECTED',
          }),
        }),
      ]);
    });

    it('should schedule the next attempt with back-off when Meta is down', async () => {
      const { sut, meta, phone } = setUp();
      meta.failNext('registerPhoneNumber', MetaGatewayErrorCode.TRANSIENT);

      await sut.runDueRegistrations(NOW);

      expect(phone.registrationStatus).toBe(RegistrationStatus.FAILED);
      const delay = phone.nextRegistrationAttemptAt.getTime() - NOW.getTime();
      expect(delay).toBeGreaterThanOrEqual(REGISTRATION_RETRY_BASE_MS);
      expect(delay).toBeLessThan(REGISTRATION_RETRY_BASE_MS + 1000);
    });

    it('should mark the WABA REAUTH_REQUIRED and stop retrying when Meta rejects the token', async () => {
      const { sut, meta, phone, wabas } = setUp();
      meta.failNext('registerPhoneNumber', MetaGatewayErrorCode.AUTH_INVALID);

      await sut.runDueRegistrations(NOW);

      expect(phone).toMatchObject({ registrationStatus: RegistrationStatus.FAILED, nextRegistrationAttemptAt: null });
      expect(wabas.markReauthRequired).toHaveBeenCalledWith(
        WABA_ID,
        expect.objectContaining({ source: ChangeSource.SYNC, actor: 'system' }),
      );
    });

    it('should unschedule, without calling Meta, a number whose WABA waits for re-authorization', async () => {
      const { sut, meta, phone } = setUp(WabaConnection.REAUTH_REQUIRED);

      await expect(sut.runDueRegistrations(NOW)).resolves.toEqual({ attempted: 1 });

      expect(meta.calls).toEqual([]);
      expect(phone).toMatchObject({ registrationStatus: RegistrationStatus.PENDING, nextRegistrationAttemptAt: null });
    });
  });
});
