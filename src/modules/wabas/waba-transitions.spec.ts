import type { WabaSnapshot } from 'src/modules/meta-gateway/meta-gateway.types';

import { applySnapshot, markReconnected, nextSyncAfterFailure, requireReauthorization } from './waba-transitions';
import type { Waba } from './waba.entity';
import { ReconnectionEvidence, ReconnectionOutcome, WabaConnection, WabaDisconnection } from './wabas.constants';

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

describe('waba-transitions', () => {
  describe('markReconnected', () => {
    it.each<[ReconnectionEvidence, WabaDisconnection]>([
      [ReconnectionEvidence.SHARED, WabaDisconnection.PARTNER_REMOVED],
      [ReconnectionEvidence.SHARED, WabaDisconnection.ACCOUNT_DELETED],
      [ReconnectionEvidence.ACCOUNT_RECONNECTED, WabaDisconnection.ACCOUNT_OFFBOARDED],
      [ReconnectionEvidence.SIGNUP, WabaDisconnection.PARTNER_REMOVED],
      [ReconnectionEvidence.SIGNUP, WabaDisconnection.ACCOUNT_OFFBOARDED],
    ])('should let %s newer than the disconnection clear %s', (evidence, reason) => {
      const waba = disconnected(reason);
      expect(markReconnected(waba, LATER, evidence)).toBe(ReconnectionOutcome.APPLIED);
      expect(waba).toMatchObject({ disconnectedReason: null, disconnectedAt: null, disconnectionAt: LATER });
    });

    it('should keep a disconnection newer than the evidence', () => {
      const waba = disconnected(WabaDisconnection.PARTNER_REMOVED);
      expect(markReconnected(waba, EARLIER, ReconnectionEvidence.SIGNUP)).toBe(ReconnectionOutcome.STALE);
      expect(waba.disconnectedReason).toBe(WabaDisconnection.PARTNER_REMOVED);
    });

    it.each<[ReconnectionEvidence, WabaDisconnection]>([
      [ReconnectionEvidence.SHARED, WabaDisconnection.ACCOUNT_OFFBOARDED],
      [ReconnectionEvidence.ACCOUNT_RECONNECTED, WabaDisconnection.PARTNER_REMOVED],
    ])('should not let %s clear %s, nor move its time', (evidence, reason) => {
      const waba = disconnected(reason);
      expect(markReconnected(waba, LATER, evidence)).toBe(ReconnectionOutcome.NOT_APPLICABLE);
      expect(waba).toMatchObject({ disconnectedReason: reason, disconnectionAt: REMOVED_AT });
    });

    it('should record the time on a connected WABA, so that an older removal arriving late is stale', () => {
      const waba = disconnected(null);
      expect(markReconnected(waba, LATER, ReconnectionEvidence.SHARED)).toBe(ReconnectionOutcome.APPLIED);
      expect(waba.disconnectionAt).toEqual(LATER);
    });
  });

  describe('applySnapshot', () => {
    const READ_AT = new Date('2026-01-15T12:10:00Z');

    function stored(): Waba {
      return {
        name: 'Stored name',
        metaStatus: 'ACTIVE',
        currency: 'USD',
        country: 'US',
        countryAt: REMOVED_AT,
        accountReviewStatus: 'APPROVED',
        accountReviewStatusAt: REMOVED_AT,
        mmLiteMetaStatus: 'ONBOARDED',
        mmLiteLastCheckedAt: REMOVED_AT,
        snapshotAt: REMOVED_AT,
        disconnectedReason: null,
        disconnectionAt: null,
      } as unknown as Waba;
    }

    it('should keep, and leave undated, what a partial answer left out or sent empty', () => {
      const waba = stored();
      const snapshot: WabaSnapshot = { id: '1', name: 'New name', currency: null, accountReviewStatus: null };

      applySnapshot(waba, snapshot, READ_AT);

      expect(waba).toMatchObject({
        name: 'New name',
        metaStatus: 'ACTIVE',
        currency: 'USD',
        country: 'US',
        countryAt: REMOVED_AT,
        accountReviewStatus: 'APPROVED',
        accountReviewStatusAt: REMOVED_AT,
        mmLiteMetaStatus: 'ONBOARDED',
        mmLiteLastCheckedAt: REMOVED_AT,
        snapshotAt: READ_AT,
      });
    });

    it('should leave the fields only reads report undated when the answer carries none of them', () => {
      const waba = stored();

      applySnapshot(waba, { id: '1', country: 'BR' }, READ_AT);

      expect(waba).toMatchObject({ country: 'BR', countryAt: READ_AT, name: 'Stored name', snapshotAt: REMOVED_AT });
    });

    it('should not let a field a read carries override a newer report of it', () => {
      const waba = stored();

      applySnapshot(waba, { id: '1', country: 'BR', currency: 'BRL' }, EARLIER);

      expect(waba).toMatchObject({ country: 'US', countryAt: REMOVED_AT, currency: 'USD', snapshotAt: REMOVED_AT });
    });
  });
});

describe('requireReauthorization', () => {
  const UNINSTALLED_AT = new Date('2026-01-15T12:00:00Z');

  function connected(connectionAt: Date | null = null): Waba {
    return { connection: WabaConnection.CONNECTED, connectionAt } as Waba;
  }

  it('should mark a connected WABA REAUTH_REQUIRED as of the report', () => {
    const waba = connected();

    expect(requireReauthorization(waba, UNINSTALLED_AT)).toBe(true);

    expect(waba).toMatchObject({ connection: WabaConnection.REAUTH_REQUIRED, connectionAt: UNINSTALLED_AT });
  });

  it('should leave the state as it is when applied again, never moving the report time backwards', () => {
    const waba = connected();
    requireReauthorization(waba, UNINSTALLED_AT);
    const once = { ...waba };

    expect(requireReauthorization(waba, UNINSTALLED_AT)).toBe(true);
    expect(waba).toEqual(once);
    expect(requireReauthorization(waba, new Date(UNINSTALLED_AT.getTime() + 500))).toBe(true);
    expect(waba.connection).toBe(WabaConnection.REAUTH_REQUIRED);
    expect(waba.connectionAt?.getTime()).toBeGreaterThanOrEqual(UNINSTALLED_AT.getTime());
  });

  it('should not take back a connection a newer signup established', () => {
    const signedUpAt = new Date(UNINSTALLED_AT.getTime() + 60_000);
    const waba = connected(signedUpAt);

    expect(requireReauthorization(waba, UNINSTALLED_AT)).toBe(false);

    expect(waba).toMatchObject({ connection: WabaConnection.CONNECTED, connectionAt: signedUpAt });
  });
});

describe('nextSyncAfterFailure', () => {
  const NOW = new Date('2026-01-15T12:00:00Z');
  const minutesLater = (date: Date): number => (date.getTime() - NOW.getTime()) / 60_000;

  it.each([
    [1, 1],
    [2, 2],
    [3, 4],
    [11, 1024],
  ])('should wait the doubling back-off after failure %i (%i minutes)', (failures, minutes) => {
    expect(minutesLater(nextSyncAfterFailure(failures, NOW, 0))).toBe(minutes);
  });

  it('should cap the back-off at a day', () => {
    expect(minutesLater(nextSyncAfterFailure(40, NOW, 0))).toBe(24 * 60);
  });

  it('should wait as long as Meta asked when that is longer than the back-off', () => {
    expect(minutesLater(nextSyncAfterFailure(1, NOW, 15 * 60_000))).toBe(15);
    expect(minutesLater(nextSyncAfterFailure(5, NOW, 60_000))).toBe(16);
  });
});
