import type { WabaSyncService } from 'src/modules/sync/waba-sync.service';
import type { WabaAccountStateService } from 'src/modules/wabas/waba-account-state.service';
import { ReportOutcome } from 'src/modules/wabas/wabas.constants';

import { WebhookChangeOutcome } from 'src/modules/meta-webhooks/meta-webhooks.constants';
import type { RoutedChange } from 'src/modules/meta-webhooks/webhook-change.router';

import { AccountUpdateHandler, webhookOutcomeOf } from './account-update.handler';

const DELIVERY = { receivedAt: new Date('2026-01-15T12:00:00Z'), fence: () => Promise.resolve() };

function change(event: string, value: Record<string, unknown> = {}): RoutedChange {
  return { field: 'account_update', event, value: { event, ...value }, time: null } as unknown as RoutedChange;
}

describe(AccountUpdateHandler.name, () => {
  it.each(Object.values(ReportOutcome))(
    'should answer a report the owner found %s with the same outcome',
    (outcome) => {
      expect(webhookOutcomeOf(outcome)).toBe(WebhookChangeOutcome[outcome]);
    },
  );

  it('should answer a ban state it does not know as MALFORMED without asking the owner', async () => {
    const accountState = { applyBanState: jest.fn() };
    const sut = new AccountUpdateHandler(
      accountState as unknown as WabaAccountStateService,
      null as unknown as WabaSyncService,
    );

    const outcome = await sut.handle(
      '1001',
      change('DISABLED_UPDATE', { ban_info: { waba_ban_state: 'X' } }),
      DELIVERY,
    );

    expect(outcome).toBe(WebhookChangeOutcome.MALFORMED);
    expect(accountState.applyBanState).not.toHaveBeenCalled();
  });

  it("should pass on the owner's STALE for an older disconnection, dated by the delivery without entry.time", async () => {
    const accountState = { recordDisconnection: jest.fn().mockResolvedValue(ReportOutcome.STALE) };
    const sut = new AccountUpdateHandler(
      accountState as unknown as WabaAccountStateService,
      null as unknown as WabaSyncService,
    );

    const outcome = await sut.handle('1001', change('PARTNER_REMOVED'), DELIVERY);

    expect(outcome).toBe(WebhookChangeOutcome.STALE);
    expect(accountState.recordDisconnection).toHaveBeenCalledWith(
      '1001',
      'PARTNER_REMOVED',
      DELIVERY.receivedAt,
      expect.objectContaining({ source: 'WEBHOOK', actor: 'meta-webhook' }),
    );
  });
});
