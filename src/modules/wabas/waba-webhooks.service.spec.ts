import { randomBytes } from 'node:crypto';

import type { ConfigService } from '@nestjs/config';

import type { AllConfig } from 'config/config.type';
import { SecretBox } from 'src/common/security/secret-box';
import { AuditEventType } from 'src/modules/audit/audit.constants';
import { ChangeSource, type ChangeContext } from 'src/modules/audit/change-context';
import { MetaGatewayErrorCode } from 'src/modules/meta-gateway/meta-gateway.exception';
import { Actors } from 'src/modules/organizations/actor';
import { FAKE_APP_ID, FakeMetaGateway } from 'test/fakes/fake-meta-gateway';

import { changesOn, storedWaba } from './waba-changes.testing';
import type { WabaSubscriptionService } from './waba-subscription.service';
import { WabaWebhooksService } from './waba-webhooks.service';
import type { WabaWebhooksRepository } from './waba-webhooks.repository';
import type { Waba } from './waba.entity';
import { WabaConnection, WebhooksStatus, WebhookSubscriptionStatus } from './wabas.constants';

const NOW = new Date('2026-03-01T10:00:00Z');
const INTERVAL_MINUTES = 360;
const SYNC_MINUTES = 15;
const CONTEXT: ChangeContext = { source: ChangeSource.SYNC, actor: Actors.system };

function subscribedWaba(overrides: Partial<Waba> = {}): Waba {
  return storedWaba({
    subscriptionStatus: WebhookSubscriptionStatus.SUBSCRIBED,
    webhooksStatus: WebhooksStatus.SUBSCRIBED,
    webhooksCheckedAt: new Date(NOW.getTime() - INTERVAL_MINUTES * 60_000),
    webhooksNextCheckAt: NOW,
    ...overrides,
  });
}

/** The checks on fakes: the gateway in memory, the due WABAs handed out once, subscribe() recorded. */
function setUp(waba: Waba) {
  const meta = new FakeMetaGateway();
  meta.setWaba({ id: waba.wabaId });
  meta.subscribedWabaIds.add(waba.wabaId);
  const secrets = new SecretBox(randomBytes(32).toString('base64'));
  const due = [{ wabaId: waba.wabaId, sealedToken: secrets.seal('business-token') }];
  const repository = {
    claimDue: () => Promise.resolve(due.splice(0)),
  } as unknown as WabaWebhooksRepository;
  const subscribed: Array<{ wabaId: string; nextCheckAt?: Date }> = [];
  // The subscription's two halves: Meta's answer (accepted), then its record with the next check's time.
  const subscriptions = {
    requestSubscription: (wabaId: string) => Promise.resolve({ wabaId, failure: null, sentAt: new Date() }),
    recordAttempt: (attempt: { wabaId: string }, _context: ChangeContext, options: { nextCheckAt?: Date }) => {
      subscribed.push({ wabaId: attempt.wabaId, nextCheckAt: options.nextCheckAt });
      return Promise.resolve(null);
    },
  } as unknown as WabaSubscriptionService;
  const settings: Record<string, unknown> = {
    'meta.appId': FAKE_APP_ID,
    'meta.webhookCallbackUrl': null,
    'scheduler.webhooksCheckIntervalMinutes': INTERVAL_MINUTES,
    'scheduler.syncIntervalMinutes': SYNC_MINUTES,
  };
  const config = { get: (key: string) => settings[key] } as unknown as ConfigService<AllConfig, true>;
  const recorded = changesOn(waba);
  const sut = new WabaWebhooksService(meta, repository, recorded.changes, subscriptions, secrets, config);
  return { sut, meta, subscribed, ...recorded };
}

describe(WabaWebhooksService.name, () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: NOW });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('should record a subscription found in place as of the read and plan the next check one interval on', async () => {
    const waba = subscribedWaba();
    const { sut, subscribed, audited } = setUp(waba);

    const run = await sut.runDueChecks(NOW, CONTEXT, { limit: 10 });

    expect(run).toMatchObject({ checked: 1, missing: 0, resubscribed: 0, metaCalls: 1 });
    expect(waba).toMatchObject({ webhooksStatus: WebhooksStatus.SUBSCRIBED, webhooksCheckedAt: NOW });
    expect(waba.webhooksNextCheckAt).toEqual(new Date(NOW.getTime() + INTERVAL_MINUTES * 60_000));
    expect(subscribed).toEqual([]);
    expect(audited).toEqual([]);
  });

  it('should mark a missing subscription due, subscribe it again and audit the finding', async () => {
    const waba = subscribedWaba();
    const { sut, meta, subscribed, audited } = setUp(waba);
    meta.subscribedWabaIds.clear();

    const run = await sut.runDueChecks(NOW, CONTEXT, { limit: 10 });

    expect(run).toMatchObject({ checked: 1, missing: 1, resubscribed: 1, metaCalls: 2 });
    expect(waba).toMatchObject({
      webhooksStatus: WebhooksStatus.MISSING,
      subscriptionStatus: WebhookSubscriptionStatus.PENDING,
    });
    // The retry job takes the subscription over only if this repair never records its outcome.
    expect(waba.nextSubscriptionAttemptAt?.getTime()).toBeGreaterThan(NOW.getTime());
    expect(subscribed).toEqual([
      { wabaId: waba.wabaId, nextCheckAt: new Date(NOW.getTime() + INTERVAL_MINUTES * 60_000) },
    ]);
    expect(audited).toEqual([AuditEventType.WEBHOOKS_CHANGED]);
  });

  it('should not subscribe a missing WABA again once Meta reported it removed from the partner', async () => {
    const waba = subscribedWaba({ disconnectedReason: 'PARTNER_REMOVED' });
    const { sut, meta, subscribed } = setUp(waba);
    meta.subscribedWabaIds.clear();

    const run = await sut.runDueChecks(NOW, CONTEXT, { limit: 10 });

    expect(run).toMatchObject({ missing: 1, resubscribed: 0, metaCalls: 1 });
    expect(waba.webhooksStatus).toBe(WebhooksStatus.MISSING);
    expect(subscribed).toEqual([]);
  });

  it('should keep the newer look when a subscription was recorded after the read began', async () => {
    const later = new Date(NOW.getTime() + 5_000);
    const waba = subscribedWaba({ webhooksCheckedAt: later, webhooksNextCheckAt: null });
    const { sut, meta, subscribed } = setUp(waba);
    meta.subscribedWabaIds.clear();

    await sut.runDueChecks(NOW, CONTEXT, { limit: 10 });

    expect(waba).toMatchObject({ webhooksStatus: WebhooksStatus.SUBSCRIBED, webhooksCheckedAt: later });
    expect(subscribed).toEqual([]);
  });

  it('should mark the connection REAUTH_REQUIRED when Meta rejects the token, leaving the status alone', async () => {
    const waba = subscribedWaba();
    const { sut, meta, subscribed } = setUp(waba);
    meta.failNext('getSubscribedApps', MetaGatewayErrorCode.AUTH_INVALID);

    const run = await sut.runDueChecks(NOW, CONTEXT, { limit: 10 });

    expect(run).toMatchObject({ checked: 0, failed: 1, metaCalls: 1 });
    expect(waba.connection).toBe(WabaConnection.REAUTH_REQUIRED);
    expect(waba.webhooksStatus).toBe(WebhooksStatus.SUBSCRIBED);
    expect(subscribed).toEqual([]);
  });

  it('should check again next round after Meta was down, and a whole interval later after a refusal', async () => {
    const down = subscribedWaba();
    const first = setUp(down);
    first.meta.failNext('getSubscribedApps', MetaGatewayErrorCode.TRANSIENT);
    await first.sut.runDueChecks(NOW, CONTEXT, { limit: 10 });
    expect(down.webhooksNextCheckAt).toEqual(new Date(NOW.getTime() + SYNC_MINUTES * 60_000));

    const refused = subscribedWaba();
    const second = setUp(refused);
    second.meta.failNext('getSubscribedApps', MetaGatewayErrorCode.PERMISSION_DENIED);
    await second.sut.runDueChecks(NOW, CONTEXT, { limit: 10 });
    expect(refused.webhooksNextCheckAt).toEqual(new Date(NOW.getTime() + INTERVAL_MINUTES * 60_000));
    expect(refused.connection).toBe(WabaConnection.CONNECTED);
  });

  it('should skip a WABA Meta throttles without calling it', async () => {
    const waba = subscribedWaba();
    const { sut, meta } = setUp(waba);
    meta.throttle(waba.wabaId, new Date(NOW.getTime() + 60_000));

    const run = await sut.runDueChecks(NOW, CONTEXT, { limit: 10 });

    expect(run).toMatchObject({ checked: 0, skipped: 1, metaCalls: 0 });
    expect(meta.callsTo('getSubscribedApps')).toEqual([]);
  });
});
