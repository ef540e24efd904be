import type { Waba } from './waba.entity';
import { ReconnectionEvidence, ReconnectionOutcome, WabaDisconnection } from './wabas.constants';
import { WabasService } from './wabas.service';

const REMOVED_AT = new Date('2026-01-15T12:00:00Z');
const LATER = new Date('2026-01-15T12:05:00Z');
const EARLIER = new Date('2026-01-15T11:55:00Z');

function disconnected(reason: WabaDisconnection | null): Waba {
  return {
    disconnectedReason: reason,
    disconnectedAt: reason ? REMOVED_AT : null,
    disconnectionAt: reason ? REMOVED_AT : null,
  } as Waba;
}

describe(WabasService.name, () => {
  // markReconnected touches only the entity it is given.
  const sut = new WabasService(null as never, null as never, null as never, null as never);

  describe('markReconnected', () => {
    it.each<[ReconnectionEvidence, WabaDisconnection]>([
      [ReconnectionEvidence.SHARED, WabaDisconnection.PARTNER_REMOVED],
      [ReconnectionEvidence.SHARED, WabaDisconnection.ACCOUNT_DELETED],
      [ReconnectionEvidence.ACCOUNT_RECONNECTED, WabaDisconnection.ACCOUNT_OFFBOARDED],
      [ReconnectionEvidence.SIGNUP, WabaDisconnection.PARTNER_REMOVED],
      [ReconnectionEvidence.SIGNUP, WabaDisconnection.ACCOUNT_OFFBOARDED],
    ])('should let %s newer than the disconnection clear %s', (evidence, reason) => {
      const waba = disconnected(reason);
      expect(sut.markReconnected(waba, LATER, evidence)).toBe(ReconnectionOutcome.APPLIED);
      expect(waba).toMatchObject({ disconnectedReason: null, disconnectedAt: null, disconnectionAt: LATER });
    });

    it('should keep a disconnection newer than the evidence', () => {
      const waba = disconnected(WabaDisconnection.PARTNER_REMOVED);
      expect(sut.markReconnected(waba, EARLIER, ReconnectionEvidence.SIGNUP)).toBe(ReconnectionOutcome.STALE);
      expect(waba.disconnectedReason).toBe(WabaDisconnection.PARTNER_REMOVED);
    });

    it.each<[ReconnectionEvidence, WabaDisconnection]>([
      [ReconnectionEvidence.SHARED, WabaDisconnection.ACCOUNT_OFFBOARDED],
      [ReconnectionEvidence.ACCOUNT_RECONNECTED, WabaDisconnection.PARTNER_REMOVED],
    ])('should not let %s clear %s, nor move its time', (evidence, reason) => {
      const waba = disconnected(reason);
      expect(sut.markReconnected(waba, LATER, evidence)).toBe(ReconnectionOutcome.NOT_APPLICABLE);
      expect(waba).toMatchObject({ disconnectedReason: reason, disconnectionAt: REMOVED_AT });
    });

    it('should record the time on a connected WABA, so that an older removal arriving late is stale', () => {
      const waba = disconnected(null);
      expect(sut.markReconnected(waba, LATER, ReconnectionEvidence.SHARED)).toBe(ReconnectionOutcome.APPLIED);
      expect(waba.disconnectionAt).toEqual(LATER);
    });
  });
});
