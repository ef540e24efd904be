import type { StatusWebhookSettings } from 'src/meta-simulator/meta-simulator.types';

import { planStatuses } from './message-status.plan';

const HUMAN: StatusWebhookSettings = { mode: 'all', delaysMs: { sent: 500, delivered: 1500, read: 4000 } };
const PLAIN = { outcome: undefined, marketing: true, version: 25 };

describe('planStatuses', () => {
  it('should schedule sent, delivered and read at their delays when the jitter draws nothing', () => {
    expect(planStatuses(HUMAN, PLAIN, () => 0)).toEqual([
      { status: 'sent', delayMs: 500, billed: false },
      { status: 'delivered', delayMs: 1500, billed: true },
      { status: 'read', delayMs: 4000, billed: false },
    ]);
  });

  it('should stretch each delay by less than a tenth of it, never reordering the slots', () => {
    const delays = planStatuses(HUMAN, PLAIN, () => 0.999).map((step) => step.delayMs);

    expect(delays).toEqual([549, 1649, 4399]);
  });

  it('should keep delays non-decreasing in delivery order even when configured out of order', () => {
    const settings: StatusWebhookSettings = { mode: 'all', delaysMs: { sent: 3000, delivered: 1000, read: 2000 } };

    expect(planStatuses(settings, PLAIN, () => 0).map((step) => step.delayMs)).toEqual([3000, 3000, 3000]);
  });

  it('should give the out-of-order outcomes the slot times in their own order', () => {
    const plan = planStatuses(HUMAN, { ...PLAIN, outcome: 'sent_last' }, () => 0);

    expect(plan.map((step) => [step.status, step.delayMs, step.billed])).toEqual([
      ['delivered', 500, true],
      ['read', 1500, false],
      ['sent', 4000, false],
    ]);
  });

  it('should bill sent and delivered before v24.0, and never read', () => {
    const plan = planStatuses(HUMAN, { ...PLAIN, version: 23 }, () => 0);

    expect(plan.map((step) => step.billed)).toEqual([true, true, false]);
  });

  it('should plan a failure alone, at the sent delay, in modes all and failed but not none', () => {
    for (const mode of ['all', 'failed'] as const) {
      const plan = planStatuses({ ...HUMAN, mode }, { ...PLAIN, outcome: 'opted_out' }, () => 0);
      expect(plan).toEqual([
        { status: 'failed', delayMs: 500, billed: false, failure: expect.objectContaining({ code: 131050 }) },
      ]);
    }
    expect(planStatuses({ ...HUMAN, mode: 'none' }, { ...PLAIN, outcome: 'opted_out' })).toEqual([]);
  });

  it('should deliver non-marketing messages to marketing-only failure outcomes, and fail them when undeliverable', () => {
    const utility = { ...PLAIN, marketing: false };

    expect(planStatuses(HUMAN, { ...utility, outcome: 'per_user_limit' }, () => 0)).toHaveLength(3);
    expect(planStatuses(HUMAN, { ...utility, outcome: 'undeliverable' }, () => 0)[0]).toMatchObject({
      status: 'failed',
      failure: { code: 131026, title: 'Message undeliverable' },
    });
  });

  it('should plan nothing but failures in mode failed', () => {
    expect(planStatuses({ ...HUMAN, mode: 'failed' }, PLAIN)).toEqual([]);
  });
});
