import type { ConfigService } from '@nestjs/config';

import type { AllConfig } from 'config/config.type';
import type { Transactions } from 'src/common/events/transactions';
import { AuditEventType } from 'src/modules/audit/audit.constants';
import { ChangeSource, type ChangeContext } from 'src/modules/audit/change-context';
import { MetaGatewayErrorCode, MetaGatewayException } from 'src/modules/meta-gateway/meta-gateway.exception';
import { Actors } from 'src/modules/organizations/actor';
import { FakeMetaGateway } from 'test/fakes/fake-meta-gateway';
import { FakeTransactions } from 'test/fakes/fake-transactions';

import { changesOn, storedWaba } from './waba-changes.testing';
import { WabaSubscriptionService } from './waba-subscription.service';
import type { Waba } from './waba.entity';
import type { WabaRepository } from './waba.repository';
import {
  SUBSCRIPTION_RETRY_BASE_MS,
  WEBHOOK_SUBSCRIPTION_LEASE_MS,
  WabaConnection,
  WebhooksStatus,
  WebhookSubscriptionStatus,
} from './wabas.constants';
import type { WabasService } from './wabas.service';

const NOW = new Date('2026-03-01T10:00:00Z');
const CHECK_INTERVAL_MINUTES = 360;
const CONTEXT: ChangeContext = { source: ChangeSource.API, actor: Actors.apiKey('key-1') };

/** A WABA whose webhook subscription is due: never attempted, or failed `attempts` times. */
function dueWaba(wabaId: string, overrides: Partial<Waba> = {}): Waba {
  return storedWaba({
    wabaId,
    subscriptionStatus: WebhookSubscriptionStatus.PENDING,
    subscriptionAttempts: 0,
    subscriptionError: null,
    nextSubscriptionAttemptAt: NOW,
    ...overrides,
  });
}

/**
 * The subscription step on fakes: Meta is the in-memory gateway, the table the given WABAs, which the
 * repository hands out in order as due (noting whether its claim ran in a transaction), and the
 * transactions know whether one is open when Meta is called.
 */
function setUp(...wabas: Waba[]) {
  const meta = new FakeMetaGateway();
  wabas.forEach((waba) => meta.setWaba({ id: waba.wabaId }));
  const transactions = new FakeTransactions().watch(meta);
  const due = [...wabas];
  const claims: Array<{ now: Date; leaseUntil: Date; inTransaction: boolean }> = [];
  const repository = {
    claimDueSubscription: (now: Date, leaseUntil: Date) => {
      claims.push({ now, leaseUntil, inTransaction: transactions.inTransaction() });
      const claimed = due.shift() ?? null;
      if (claimed) {
        claimed.nextSubscriptionAttemptAt = leaseUntil;
      }
      return Promise.resolve(claimed);
    },
  } as unknown as WabaRepository;
  const wabasService = {
    revealToken: (waba: Waba) => Promise.resolve(`token-of-${waba.wabaId}`),
  } as unknown as WabasService;
  const recorded = changesOn(...wabas);
  const sut = new WabaSubscriptionService(
    meta,
    wabasService,
    repository,
    recorded.changes,
    transactions as unknown as Transactions,
    { get: () => CHECK_INTERVAL_MINUTES } as unknown as ConfigService<AllConfig, true>,
  );
  return { sut, meta, transactions, claims, ...recorded };
}

describe(WabaSubscriptionService.name, () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: NOW });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  describe('subscribe', () => {
    it('should mark the subscription SUBSCRIBED and count the attempt when Meta accepts it', async () => {
      const waba = dueWaba('1001', {
        subscriptionStatus: WebhookSubscriptionStatus.FAILED,
        subscriptionAttempts: 1,
        subscriptionError: { code: 2, message: 'Service temporarily unavailable' },
      });
      const { sut, meta, contexts } = setUp(waba);

      await sut.subscribe('1001', 'business-token', CONTEXT);

      expect(meta.callsTo('subscribeApp')).toEqual([['1001', 'business-token']]);
      expect(waba).toMatchObject({
        subscriptionStatus: WebhookSubscriptionStatus.SUBSCRIBED,
        subscriptionAttempts: 2,
        subscriptionError: null,
        nextSubscriptionAttemptAt: null,
      });
      expect(contexts).toEqual([CONTEXT]);
    });

    it('should record that Meta delivers to us as of the POST, plan the next check and audit a repair', async () => {
      const waba = dueWaba('1001', { webhooksStatus: WebhooksStatus.MISSING });
      const { sut, audited } = setUp(waba);

      expect(await sut.subscribe('1001', 'business-token', CONTEXT)).toBe(true);

      expect(waba).toMatchObject({
        webhooksStatus: WebhooksStatus.SUBSCRIBED,
        webhooksOverrideUri: null,
        webhooksCheckedAt: NOW,
        webhooksNextCheckAt: new Date(NOW.getTime() + CHECK_INTERVAL_MINUTES * 60_000),
      });
      expect(audited).toEqual([AuditEventType.WEBHOOKS_RESUBSCRIBED]);
    });

    it.each([
      [MetaGatewayErrorCode.TRANSIENT, 2],
      [MetaGatewayErrorCode.RATE_LIMITED, 80007],
    ])('should mark the subscription FAILED and retry it by back-off after a %s failure', async (code, metaCode) => {
      const waba = dueWaba('1001', { subscriptionStatus: WebhookSubscriptionStatus.FAILED, subscriptionAttempts: 2 });
      const { sut, meta } = setUp(waba);
      meta.failNext('subscribeApp', new MetaGatewayException(code, 'Meta is busy', { metaCode, metaDetails: 'busy' }));

      await sut.subscribe('1001', 'business-token', CONTEXT);

      expect(waba).toMatchObject({
        subscriptionStatus: WebhookSubscriptionStatus.FAILED,
        subscriptionAttempts: 3,
        subscriptionError: { code: metaCode, message: 'busy' },
        connection: WabaConnection.CONNECTED,
      });
      // Third attempt failed: the base delay doubled twice, plus under a second of jitter.
      const delay = (waba.nextSubscriptionAttemptAt?.getTime() ?? 0) - NOW.getTime();
      expect(delay).toBeGreaterThanOrEqual(4 * SUBSCRIPTION_RETRY_BASE_MS);
      expect(delay).toBeLessThan(4 * SUBSCRIPTION_RETRY_BASE_MS + 1000);
    });

    it.each([
      ['refuses it for good', MetaGatewayErrorCode.PERMISSION_DENIED, WabaConnection.CONNECTED, null],
      [
        'rejects the token, and require re-authorization',
        MetaGatewayErrorCode.AUTH_INVALID,
        WabaConnection.REAUTH_REQUIRED,
        NOW,
      ],
    ])(
      'should mark the subscription FAILED without a next attempt when Meta %s',
      async (_case, code, connection, connectionAt) => {
        const waba = dueWaba('1001');
        const { sut, meta } = setUp(waba);
        meta.failNext('subscribeApp', code);

        await sut.subscribe('1001', 'business-token', CONTEXT);

        expect(waba).toMatchObject({
          subscriptionStatus: WebhookSubscriptionStatus.FAILED,
          subscriptionAttempts: 1,
          nextSubscriptionAttemptAt: null,
          connection,
          connectionAt,
        });
      },
    );

    it('should leave the WABA SUBSCRIBED when a failure arrives after another attempt succeeded', async () => {
      const waba = dueWaba('1001', {
        subscriptionStatus: WebhookSubscriptionStatus.SUBSCRIBED,
        subscriptionAttempts: 1,
        nextSubscriptionAttemptAt: null,
      });
      const { sut, meta, applied } = setUp(waba);
      meta.failNext('subscribeApp', MetaGatewayErrorCode.AUTH_INVALID);

      await sut.subscribe('1001', 'business-token', CONTEXT);

      expect(applied).toEqual([false]);
      expect(waba).toMatchObject({
        subscriptionStatus: WebhookSubscriptionStatus.SUBSCRIBED,
        subscriptionAttempts: 1,
        subscriptionError: null,
        nextSubscriptionAttemptAt: null,
        connection: WabaConnection.CONNECTED,
      });
    });
  });

  describe('runDueSubscriptions', () => {
    it('should claim each due WABA in a transaction of its own and call Meta only after the claim', async () => {
      const first = dueWaba('1001');
      const second = dueWaba('1002');
      const { sut, meta, transactions, claims, contexts } = setUp(first, second);

      await expect(sut.runDueSubscriptions(NOW, 10)).resolves.toEqual({ attempted: 2 });

      const leaseUntil = new Date(NOW.getTime() + WEBHOOK_SUBSCRIPTION_LEASE_MS);
      expect(claims).toEqual([
        { now: NOW, leaseUntil, inTransaction: true },
        { now: NOW, leaseUntil, inTransaction: true },
        { now: NOW, leaseUntil, inTransaction: true },
      ]);
      expect(meta.callsTo('subscribeApp')).toEqual([
        ['1001', 'token-of-1001'],
        ['1002', 'token-of-1002'],
      ]);
      expect(transactions.graphCallsInTransaction).toEqual([]);
      expect([first.subscriptionStatus, second.subscriptionStatus]).toEqual([
        WebhookSubscriptionStatus.SUBSCRIBED,
        WebhookSubscriptionStatus.SUBSCRIBED,
      ]);
      expect(contexts).toEqual([
        { source: ChangeSource.SYNC, actor: Actors.system },
        { source: ChangeSource.SYNC, actor: Actors.system },
      ]);
    });

    it('should keep a WABA claimed under its lease until the attempt is recorded', async () => {
      const waba = dueWaba('1001');
      const { sut, meta } = setUp(waba);
      const dueAtCall: Array<Date | null> = [];
      meta.onCall(() => dueAtCall.push(waba.nextSubscriptionAttemptAt));
      meta.failNext('subscribeApp', MetaGatewayErrorCode.TRANSIENT);

      await sut.runDueSubscriptions(NOW, 10);

      // A crash during the call leaves the WABA due again once the lease ends.
      expect(dueAtCall).toEqual([new Date(NOW.getTime() + WEBHOOK_SUBSCRIPTION_LEASE_MS)]);
      expect(waba.subscriptionStatus).toBe(WebhookSubscriptionStatus.FAILED);
    });

    it('should go on with the next due WABA when Meta fails one, and stop at the limit', async () => {
      const first = dueWaba('1001');
      const second = dueWaba('1002');
      const third = dueWaba('1003');
      const { sut, meta, claims } = setUp(first, second, third);
      meta.failNext('subscribeApp', MetaGatewayErrorCode.TRANSIENT);

      await expect(sut.runDueSubscriptions(NOW, 2)).resolves.toEqual({ attempted: 2 });

      expect(claims).toHaveLength(2);
      expect([first, second, third].map((waba) => waba.subscriptionStatus)).toEqual([
        WebhookSubscriptionStatus.FAILED,
        WebhookSubscriptionStatus.SUBSCRIBED,
        WebhookSubscriptionStatus.PENDING,
      ]);
      expect(third.nextSubscriptionAttemptAt).toEqual(NOW);
    });
  });
});
