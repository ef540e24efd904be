import { MarketingHoldKind, MarketingMessageStatus } from 'src/modules/mm-lite/mm-lite.constants';

import type { HoldFact } from './marketing-recipient-hold.repository';
import { type FailedSend, holdOfFailure, holdsOfPreferences, newestPerKey } from './recipient-holds';

const FAILED_AT = new Date('2026-12-04T10:00:00Z');

function failed(failureCode: number | null, status = MarketingMessageStatus.FAILED): FailedSend {
  return {
    organizationId: 'org-1',
    wabaId: '102290129340398',
    recipient: '+447700900123',
    messageId: 'wamid.1',
    status,
    failureCode,
    failedAt: FAILED_AT,
  };
}

describe(holdOfFailure.name, () => {
  it('should hold the recipient OPTED_OUT, with no end, after 131050', () => {
    expect(holdOfFailure(failed(131050))).toEqual({
      organizationId: 'org-1',
      wabaId: '102290129340398',
      recipient: '+447700900123',
      kind: MarketingHoldKind.OPTED_OUT,
      until: null,
      observedAt: FAILED_AT,
      reasonCode: 131050,
      messageId: 'wamid.1',
      cleared: false,
    });
  });

  it("should pause the recipient for 24 h from Meta's time of a 131049", () => {
    expect(holdOfFailure(failed(131049))).toMatchObject({
      kind: MarketingHoldKind.PAUSED,
      until: new Date('2026-12-05T10:00:00Z'),
      observedAt: FAILED_AT,
    });
  });

  it.each([131026, 130472, null])('should hold nobody after failure %s', (code) => {
    expect(holdOfFailure(failed(code))).toBeNull();
  });

  it('should hold nobody for a send that is not FAILED', () => {
    expect(holdOfFailure(failed(131050, MarketingMessageStatus.READ))).toBeNull();
  });
});

describe(holdsOfPreferences.name, () => {
  it('should set OPTED_OUT for every identifier of a stop, and clear it for a resume', () => {
    const at = new Date('2026-12-04T11:00:00Z');

    const facts = holdsOfPreferences('org-1', 'waba-1', [
      { recipients: ['+447700900123', 'GB.1349'], stop: true, at },
      { recipients: ['+447700900124'], stop: false, at },
    ]);

    expect(facts.map((fact) => [fact.recipient, fact.kind, fact.cleared])).toEqual([
      ['+447700900123', MarketingHoldKind.OPTED_OUT, false],
      ['GB.1349', MarketingHoldKind.OPTED_OUT, false],
      ['+447700900124', MarketingHoldKind.OPTED_OUT, true],
    ]);
  });
});

describe(newestPerKey.name, () => {
  const fact = (recipient: string, at: string, cleared: boolean): HoldFact => ({
    organizationId: 'org-1',
    wabaId: 'waba-1',
    recipient,
    kind: MarketingHoldKind.OPTED_OUT,
    observedAt: new Date(at),
    until: null,
    reasonCode: null,
    messageId: null,
    cleared,
  });

  it('should keep the newest fact per recipient, whatever the order they came in', () => {
    const kept = newestPerKey([
      fact('+1', '2026-12-04T11:00:05Z', true),
      fact('+1', '2026-12-04T11:00:00Z', false),
      fact('+2', '2026-12-04T11:00:00Z', false),
    ]);

    expect(kept.map((item) => [item.recipient, item.cleared])).toEqual([
      ['+1', true],
      ['+2', false],
    ]);
  });

  it('should keep the later of two facts of the same second', () => {
    const kept = newestPerKey([fact('+1', '2026-12-04T11:00:00Z', false), fact('+1', '2026-12-04T11:00:00Z', true)]);

    expect(kept.map((item) => item.cleared)).toEqual([true]);
  });
});
