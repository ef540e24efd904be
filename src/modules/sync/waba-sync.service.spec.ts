import type { ConfigService } from '@nestjs/config';

import type { AllConfig } from 'config/config.type';
import type { Transactions } from 'src/common/events/transactions';
import { DomainException, NotFoundDomainException } from 'src/common/exceptions/domain.exception';
import { ErrorCode } from 'src/common/exceptions/error-code';
import { ChangeSource, type ChangeContext, type ChangeFence } from 'src/modules/audit/change-context';
import { MetaGatewayErrorCode, MetaGatewayException } from 'src/modules/meta-gateway/meta-gateway.exception';
import { Actors } from 'src/modules/organizations/actor';
import type { PhoneNumberReading, PhoneNumbersService } from 'src/modules/phone-numbers/phone-numbers.service';
import type { SyncSchedule, WabaSyncStateService } from 'src/modules/wabas/waba-sync-state.service';
import type { WabaWebhooksService } from 'src/modules/wabas/waba-webhooks.service';
import type { SyncFailure, WabaSyncReading } from 'src/modules/wabas/waba-sync.types';
import type { WabaView } from 'src/modules/wabas/waba.types';
import { WabaConnection } from 'src/modules/wabas/wabas.constants';
import { ReauthRequiredException } from 'src/modules/wabas/wabas.exception';
import type { WabasService } from 'src/modules/wabas/wabas.service';
import { FakeMetaGateway } from 'test/fakes/fake-meta-gateway';
import { FakeTransactions } from 'test/fakes/fake-transactions';

import { WabaSyncService } from './waba-sync.service';

const ORG = 'org-1';
const WABA_ID = '102290129340398';
const PHONE_ID = '106540352242922';
const BUSINESS_ID = '506914307656634';
const TOKEN = 'business-token';
const ACTOR = Actors.apiKey('key-1');
const SYNC_INTERVAL_MINUTES = 15;
/** When the read begins, and when Meta's answers are all in: a read takes time. */
const READ_STARTED = new Date('2026-03-01T10:00:00Z');
const READ_DONE = new Date('2026-03-01T10:00:05Z');

/**
 * The owners of the WABAs and numbers at their public methods, over one in-memory WABA: they record what
 * the sync asks of them and whether a transaction was open, and play their own part where a spec follows
 * it (a failure with a rejected token leaves the WABA REAUTH_REQUIRED, as WabaSyncStateService does).
 */
function owners(transactions: FakeTransactions, connection = WabaConnection.CONNECTED) {
  const waba = { id: 'waba-row', wabaId: WABA_ID, organization: { id: ORG }, ownerBusinessId: BUSINESS_ID, connection };
  const tokens: WabaView[] = [];
  const wabas = {
    getForOrganization: (organizationId: string, wabaId: string) =>
      organizationId === ORG && wabaId === WABA_ID
        ? Promise.resolve(waba)
        : Promise.reject(new NotFoundDomainException('WABA', wabaId)),
    findByWabaId: (wabaId: string) => Promise.resolve(wabaId === WABA_ID ? waba : null),
    revealToken: (view: WabaView) => {
      tokens.push(view);
      return Promise.resolve(TOKEN);
    },
  };
  const applied: Array<{
    readings: Map<string, WabaSyncReading>;
    context: ChangeContext;
    schedule: SyncSchedule;
    inTransaction: boolean;
  }> = [];
  const failures: Array<{ wabaId: string; failure: SyncFailure; context: ChangeContext }> = [];
  const syncState = {
    applySyncReadings: (readings: Map<string, WabaSyncReading>, context: ChangeContext, schedule: SyncSchedule) => {
      applied.push({ readings, context, schedule, inTransaction: transactions.inTransaction() });
      return Promise.resolve(readings.has(WABA_ID) ? [waba] : []);
    },
    recordSyncFailure: (wabaId: string, failure: SyncFailure, context: ChangeContext) => {
      failures.push({ wabaId, failure, context });
      if (failure.tokenRejected) {
        waba.connection = WabaConnection.REAUTH_REQUIRED;
      }
      return Promise.resolve(true);
    },
  };
  const numbers: Array<{ readings: PhoneNumberReading[]; context: ChangeContext; inTransaction: boolean }> = [];
  const phoneNumbers = {
    applyReadings: (readings: PhoneNumberReading[], context: ChangeContext) => {
      numbers.push({ readings, context, inTransaction: transactions.inTransaction() });
      return Promise.resolve();
    },
  };
  return { waba, tokens, wabas, syncState, phoneNumbers, applied, failures, numbers };
}

/** The sync on fakes: Meta is the in-memory gateway, whose answers take from READ_STARTED to READ_DONE. */
function setUp(connection?: WabaConnection) {
  const meta = new FakeMetaGateway();
  meta.setWaba({ id: WABA_ID, ownerBusinessId: BUSINESS_ID });
  meta.setPhoneNumber(WABA_ID, { id: PHONE_ID });
  meta.setBusinessTermsStatus(BUSINESS_ID, { status: 'TERM_OF_SERVICE_SIGNED', time: '2026-02-01T00:00:00Z' });
  meta.onCall(() => jest.setSystemTime(READ_DONE));
  const transactions = new FakeTransactions().watch(meta);
  const fakes = owners(transactions, connection);
  const config = { get: () => SYNC_INTERVAL_MINUTES } as unknown as ConfigService<AllConfig, true>;
  // The subscription check of an on-demand sync has its own specs (waba-webhooks.service.spec.ts) and e2e.
  const webhooks = { checkNow: jest.fn().mockResolvedValue(undefined) };
  const sut = new WabaSyncService(
    meta,
    fakes.wabas as unknown as WabasService,
    fakes.syncState as unknown as WabaSyncStateService,
    fakes.phoneNumbers as unknown as PhoneNumbersService,
    transactions as unknown as Transactions,
    config,
    webhooks as unknown as WabaWebhooksService,
  );
  return { sut, meta, transactions, webhooks, ...fakes };
}

const syncContext = (fence?: ChangeFence): ChangeContext => ({ source: ChangeSource.SYNC, actor: ACTOR, fence });

describe(WabaSyncService.name, () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: READ_STARTED });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  describe('syncNow', () => {
    it("should apply the WABA's and its numbers' readings as of when the read began", async () => {
      const { sut, meta, transactions, waba, tokens, applied, numbers, failures } = setUp();

      await expect(sut.syncNow(ORG, WABA_ID, ACTOR)).resolves.toBe(waba);

      expect(tokens).toEqual([waba]);
      expect(meta.calls).toEqual([
        { method: 'getWaba', args: [WABA_ID, TOKEN] },
        { method: 'listPhoneNumbers', args: [WABA_ID, TOKEN] },
        { method: 'getBusinessTermsStatus', args: [BUSINESS_ID, TOKEN] },
      ]);
      // Meta is read first, outside any transaction; the WABA and its numbers are then written in one.
      expect(transactions.graphCallsInTransaction).toEqual([]);
      expect(transactions.begun).toBe(1);
      expect(applied).toEqual([
        {
          readings: new Map([
            [
              WABA_ID,
              {
                snapshot: meta.wabas.get(WABA_ID),
                numbers: [meta.phoneNumbers.get(PHONE_ID)?.snapshot],
                terms: { status: 'TERM_OF_SERVICE_SIGNED', time: '2026-02-01T00:00:00Z' },
                observedAt: READ_STARTED,
              },
            ],
          ]),
          context: syncContext(),
          schedule: {
            syncedAt: READ_DONE,
            nextSyncAt: new Date(READ_DONE.getTime() + SYNC_INTERVAL_MINUTES * 60_000),
          },
          inTransaction: true,
        },
      ]);
      expect(numbers).toEqual([
        {
          readings: [
            {
              waba: { id: 'waba-row', wabaId: WABA_ID, organizationId: ORG },
              snapshots: [meta.phoneNumbers.get(PHONE_ID)?.snapshot],
              observedAt: READ_STARTED,
            },
          ],
          context: syncContext(),
          inTransaction: true,
        },
      ]);
      expect(failures).toEqual([]);
    });

    it('should record a rejected token as a failure that requires re-authorization and answer REAUTH_REQUIRED', async () => {
      const { sut, meta, waba, applied, failures } = setUp();
      meta.failNext('getWaba', MetaGatewayErrorCode.AUTH_INVALID);

      await expect(sut.syncNow(ORG, WABA_ID, ACTOR)).rejects.toBeInstanceOf(ReauthRequiredException);

      expect(failures).toEqual([
        {
          wabaId: WABA_ID,
          failure: { code: MetaGatewayErrorCode.AUTH_INVALID, tokenRejected: true, retryAfterMs: 0 },
          context: syncContext(),
        },
      ]);
      expect(applied).toEqual([]);
      expect(waba.connection).toBe(WabaConnection.REAUTH_REQUIRED);

      // The owner now says REAUTH_REQUIRED: the next sync is refused without calling Meta.
      meta.reset();
      await expect(sut.syncNow(ORG, WABA_ID, ACTOR)).rejects.toBeInstanceOf(ReauthRequiredException);
      expect(meta.calls).toEqual([]);
    });

    it("should pass Meta's retry-after to the back-off and answer META_RATE_LIMITED when Meta throttles the read", async () => {
      const { sut, meta, failures } = setUp();
      meta.failNext(
        'listPhoneNumbers',
        new MetaGatewayException(MetaGatewayErrorCode.RATE_LIMITED, 'Too many calls', {
          metaCode: 80008,
          retryAfterSeconds: 120,
        }),
      );

      const error = await sut.syncNow(ORG, WABA_ID, ACTOR).catch((thrown: unknown) => thrown);

      expect(error).toBeInstanceOf(DomainException);
      expect(error).toMatchObject({ code: ErrorCode.META_RATE_LIMITED, extras: { retryAfterSeconds: 120 } });
      expect(failures.map(({ failure }) => failure)).toEqual([
        { code: MetaGatewayErrorCode.RATE_LIMITED, tokenRejected: false, retryAfterMs: 120_000 },
      ]);
    });
  });

  describe('syncInBackground', () => {
    it('should answer SYNCED and apply the reading under the given fence', async () => {
      const { sut, applied, numbers } = setUp();
      const fence: ChangeFence = () => Promise.resolve();

      await expect(sut.syncInBackground(WABA_ID, Actors.metaWebhook, fence)).resolves.toBe('SYNCED');

      const context = { source: ChangeSource.SYNC, actor: Actors.metaWebhook, fence };
      expect(applied.map((call) => call.context)).toEqual([context]);
      expect(numbers.map((call) => call.context)).toEqual([context]);
    });

    it('should skip a WABA Meta throttles without calling Meta', async () => {
      const { sut, meta, applied, failures } = setUp();
      meta.throttle(WABA_ID, new Date(READ_STARTED.getTime() + 60_000));

      await expect(sut.syncInBackground(WABA_ID, ACTOR)).resolves.toBe('SKIPPED');

      expect(meta.calls).toEqual([]);
      expect(applied).toEqual([]);
      expect(failures).toEqual([]);
    });

    it.each([
      ['an unknown WABA', '999', WabaConnection.CONNECTED],
      ['a WABA waiting for re-authorization', WABA_ID, WabaConnection.REAUTH_REQUIRED],
    ])('should skip %s without calling Meta', async (_case, wabaId, connection) => {
      const { sut, meta } = setUp(connection);

      await expect(sut.syncInBackground(wabaId, ACTOR)).resolves.toBe('SKIPPED');

      expect(meta.calls).toEqual([]);
    });

    it('should record a failed read and answer FAILED instead of throwing', async () => {
      const { sut, meta, applied, failures } = setUp();
      meta.failNext('getWaba', MetaGatewayErrorCode.TRANSIENT);

      await expect(sut.syncInBackground(WABA_ID, ACTOR)).resolves.toBe('FAILED');

      expect(failures.map(({ failure }) => failure)).toEqual([
        { code: MetaGatewayErrorCode.TRANSIENT, tokenRejected: false, retryAfterMs: 0 },
      ]);
      expect(applied).toEqual([]);
    });
  });

  describe('the MM Lite terms', () => {
    it('should leave the terms unknown but apply the rest when the token may not read the portfolio', async () => {
      const { sut, meta, applied, numbers, failures } = setUp();
      meta.failNext('getBusinessTermsStatus', MetaGatewayErrorCode.PERMISSION_DENIED);

      await expect(sut.syncInBackground(WABA_ID, ACTOR)).resolves.toBe('SYNCED');

      expect(applied[0]?.readings.get(WABA_ID)).toMatchObject({ snapshot: meta.wabas.get(WABA_ID), terms: null });
      expect(numbers[0]?.readings[0]?.snapshots).toHaveLength(1);
      expect(failures).toEqual([]);
    });

    it('should fail the sync when the terms read rejects the token', async () => {
      const { sut, meta, applied, numbers, failures } = setUp();
      meta.failNext('getBusinessTermsStatus', MetaGatewayErrorCode.AUTH_INVALID);

      await expect(sut.syncInBackground(WABA_ID, ACTOR)).resolves.toBe('FAILED');

      expect(failures.map(({ failure }) => failure)).toEqual([
        { code: MetaGatewayErrorCode.AUTH_INVALID, tokenRejected: true, retryAfterMs: 0 },
      ]);
      expect(applied).toEqual([]);
      expect(numbers).toEqual([]);
    });

    it('should take the terms from the WABA read without asking the portfolio when the read carries them', async () => {
      const { sut, meta, applied } = setUp();
      const terms = { status: 'REQUEST_SENT', time: null };
      meta.setWaba({ id: WABA_ID, ownerBusinessId: BUSINESS_ID, ownerBusinessTermsStatus: terms });

      await expect(sut.syncInBackground(WABA_ID, ACTOR)).resolves.toBe('SYNCED');

      expect(meta.callsTo('getBusinessTermsStatus')).toEqual([]);
      expect(applied[0]?.readings.get(WABA_ID)?.terms).toEqual(terms);
    });
  });
});
