import { Actors } from 'src/modules/organizations/actor';
import { AuditEventType } from 'src/modules/audit/audit.constants';
import { ChangeSource, type ChangeContext } from 'src/modules/audit/change-context';

import { WabaAccountStateService } from './waba-account-state.service';
import { changesOn, storedWaba } from './waba-changes.testing';
import { WabaSyncStateService } from './waba-sync-state.service';
import type { WabaRepository } from './waba.repository';
import {
  META_TERMS_SIGNED,
  ReconnectionEvidence,
  ReportOutcome,
  WabaConnection,
  WabaDisconnection,
} from './wabas.constants';

const CONTEXT: ChangeContext = { source: ChangeSource.WEBHOOK, actor: Actors.metaWebhook };
const REPORTED_AT = new Date('2026-01-15T12:00:00Z');
const EARLIER = new Date('2026-01-15T11:00:00Z');

describe(WabaAccountStateService.name, () => {
  it.each<[WabaDisconnection, ReconnectionEvidence, Date, ReportOutcome]>([
    [WabaDisconnection.PARTNER_REMOVED, ReconnectionEvidence.SHARED, REPORTED_AT, ReportOutcome.APPLIED],
    [WabaDisconnection.ACCOUNT_OFFBOARDED, ReconnectionEvidence.SHARED, REPORTED_AT, ReportOutcome.IGNORED],
    [WabaDisconnection.PARTNER_REMOVED, ReconnectionEvidence.SHARED, new Date(0), ReportOutcome.STALE],
  ])('should answer a reconnection of a WABA %s by %s as %s', async (reason, evidence, at, expected) => {
    const waba = storedWaba({ disconnectedReason: reason, disconnectionAt: EARLIER });
    const { changes, applied } = changesOn(waba);

    const outcome = await new WabaAccountStateService(changes).recordReconnection('1001', evidence, at, CONTEXT);

    expect(outcome).toBe(expected);
    expect(applied).toEqual([expected === ReportOutcome.APPLIED]);
  });

  it('should answer terms signed already as APPLIED without changing anything', async () => {
    const { changes, applied } = changesOn(storedWaba({ mmLiteTermsStatus: META_TERMS_SIGNED }));

    const outcome = await new WabaAccountStateService(changes).recordTermsSigned('1001', REPORTED_AT, CONTEXT);

    expect(outcome).toBe(ReportOutcome.APPLIED);
    expect(applied).toEqual([false]);
  });

  it('should audit a review decision only when it changed, and answer an older one STALE', async () => {
    const waba = storedWaba();
    const { changes, audited } = changesOn(waba);
    const sut = new WabaAccountStateService(changes);

    await expect(sut.recordReviewDecision('1001', 'APPROVED', REPORTED_AT, CONTEXT)).resolves.toBe(
      ReportOutcome.APPLIED,
    );
    await expect(sut.recordReviewDecision('1001', 'APPROVED', REPORTED_AT, CONTEXT)).resolves.toBe(
      ReportOutcome.APPLIED,
    );
    await expect(sut.recordReviewDecision('1001', 'REJECTED', EARLIER, CONTEXT)).resolves.toBe(ReportOutcome.STALE);

    expect(audited).toEqual([AuditEventType.WABA_UPDATED]);
    expect(waba.accountReviewStatus).toBe('APPROVED');
  });

  it('should mark REAUTH_REQUIRED on PARTNER_APP_UNINSTALLED unless a newer signup connected the WABA', async () => {
    const newer = storedWaba({ connectionAt: new Date(REPORTED_AT.getTime() + 60_000) });
    await expect(
      new WabaAccountStateService(changesOn(newer).changes).recordAppUninstalled('1001', REPORTED_AT, CONTEXT),
    ).resolves.toBe(ReportOutcome.STALE);
    expect(newer.connection).toBe(WabaConnection.CONNECTED);

    const older = storedWaba({ connectionAt: EARLIER });
    await expect(
      new WabaAccountStateService(changesOn(older).changes).recordAppUninstalled('1001', REPORTED_AT, CONTEXT),
    ).resolves.toBe(ReportOutcome.APPLIED);
    expect(older.connection).toBe(WabaConnection.REAUTH_REQUIRED);
  });
});

describe(WabaSyncStateService.name, () => {
  const repository = null as unknown as WabaRepository;
  const claim = { owner: 'instance-a', token: 'token-a' };

  it('should count a failure, back off and mark REAUTH_REQUIRED for a rejected token', async () => {
    const waba = storedWaba({ syncFailureCount: 2 });
    const sut = new WabaSyncStateService(repository, changesOn(waba).changes);
    const before = Date.now();

    const held = await sut.recordSyncFailure(
      '1001',
      { code: 'AUTH_INVALID', tokenRejected: true, retryAfterMs: 0 },
      CONTEXT,
    );

    expect(held).toBe(true);
    expect(waba).toMatchObject({
      syncFailureCount: 3,
      lastSyncErrorCode: 'AUTH_INVALID',
      connection: WabaConnection.REAUTH_REQUIRED,
    });
    // Third failure in a row: 4 minutes.
    expect(waba.nextSyncAt.getTime()).toBeGreaterThanOrEqual(before + 4 * 60_000);
    expect(waba.nextSyncAt.getTime()).toBeLessThanOrEqual(Date.now() + 4 * 60_000);
  });

  it('should record nothing once the round lost its claim on the WABA', async () => {
    const waba = storedWaba({ syncClaimedBy: 'instance-b', syncClaimToken: 'token-b' });
    const { changes, applied } = changesOn(waba);
    const sut = new WabaSyncStateService(repository, changes);

    await expect(
      sut.recordSyncFailure('1001', { code: 'TRANSIENT', tokenRejected: false, retryAfterMs: 0 }, CONTEXT, claim),
    ).resolves.toBe(false);
    await expect(sut.deferSync('1001', new Date(REPORTED_AT.getTime() + 60_000), CONTEXT, claim)).resolves.toBe(false);

    expect(applied).toEqual([false, false]);
    expect(waba).toMatchObject({ syncFailureCount: 0, nextSyncAt: REPORTED_AT });
  });

  it('should never defer a sync to earlier than planned', async () => {
    const waba = storedWaba({ syncClaimedBy: claim.owner, syncClaimToken: claim.token });
    const { changes, applied } = changesOn(waba);
    const sut = new WabaSyncStateService(repository, changes);

    await expect(sut.deferSync('1001', EARLIER, CONTEXT, claim)).resolves.toBe(true);

    expect(applied).toEqual([false]);
    expect(waba.nextSyncAt).toEqual(REPORTED_AT);
  });
});
