import { Injectable } from '@nestjs/common';

import { AuditEventType } from 'src/modules/audit/audit.constants';
import type { ChangeContext } from 'src/modules/audit/change-context';

import { WabaChanges } from './waba-changes';
import { observeFact, type WabaFact } from './waba-facts';
import { applyTermsStatus, markReconnected, requireReauthorization } from './waba-transitions';
import type { Waba } from './waba.entity';
import {
  META_TERMS_SIGNED,
  type ReconnectionEvidence,
  ReconnectionOutcome,
  ReportOutcome,
  type WabaBanState,
  type WabaDisconnection,
} from './wabas.constants';

/** A `DISABLED_UPDATE` report (§6.3). */
export interface BanReport {
  state: WabaBanState;
  banDate: string | null;
}

/** An `ACCOUNT_RESTRICTION` report: the notice replaces the previous one. */
export interface RestrictionReport {
  restrictions: Array<Record<string, unknown>>;
  expiresAt: Date | null;
}

/**
 * The WABA's account state as Meta reports it in webhooks (`account_update`, `account_review_update`),
 * one command per report. Each report is a fact of the WABA as of Meta's time of the event (`observedAt`,
 * waba-facts.ts): one older than what the fact shows is STALE and changes nothing. Each runs the context's
 * fence first inside its transaction, and re-derives, audits and publishes what changed; when the WABA is
 * unknown nothing happens (the caller checked that it exists).
 */
@Injectable()
export class WabaAccountStateService {
  constructor(private readonly changes: WabaChanges) {}

  /** `DISABLED_UPDATE`: the ban state and its date. */
  async applyBanState(
    wabaId: string,
    report: BanReport,
    observedAt: Date,
    context: ChangeContext,
  ): Promise<ReportOutcome> {
    return this.observe(wabaId, 'banState', observedAt, context, (waba) => {
      waba.banState = report.state;
      waba.banDate = report.banDate;
    });
  }

  /** `ACCOUNT_DELETED`, `PARTNER_REMOVED`, `ACCOUNT_OFFBOARDED`: Meta took the WABA away from the platform. */
  async recordDisconnection(
    wabaId: string,
    reason: WabaDisconnection,
    observedAt: Date,
    context: ChangeContext,
  ): Promise<ReportOutcome> {
    return this.observe(wabaId, 'disconnection', observedAt, context, (waba) => {
      waba.disconnectedReason = reason;
      waba.disconnectedAt = observedAt;
    });
  }

  /**
   * `PARTNER_ADDED`, `PARTNER_APP_INSTALLED`, `ACCOUNT_RECONNECTED`: the WABA is connected again, as far as
   * the `evidence` can vouch for (IGNORED otherwise, e.g. re-sharing does not undo an offboarding).
   */
  async recordReconnection(
    wabaId: string,
    evidence: ReconnectionEvidence,
    observedAt: Date,
    context: ChangeContext,
  ): Promise<ReportOutcome> {
    let outcome = ReportOutcome.APPLIED;
    await this.changes.applyOne(wabaId, context, (waba) => {
      outcome = reportOutcomeOf(markReconnected(waba, observedAt, evidence));
      return outcome === ReportOutcome.APPLIED;
    });
    return outcome;
  }

  /** `ACCOUNT_RESTRICTION`: the restrictions and when the last of them expires. */
  async applyRestrictions(
    wabaId: string,
    report: RestrictionReport,
    observedAt: Date,
    context: ChangeContext,
  ): Promise<ReportOutcome> {
    return this.observe(wabaId, 'restrictions', observedAt, context, (waba) => {
      waba.restrictions = report.restrictions;
      waba.restrictionExpiresAt = report.expiresAt;
    });
  }

  /** `BUSINESS_PRIMARY_LOCATION_COUNTRY_UPDATE`. */
  async recordCountry(
    wabaId: string,
    country: string,
    observedAt: Date,
    context: ChangeContext,
  ): Promise<ReportOutcome> {
    return this.observe(wabaId, 'country', observedAt, context, (waba) => {
      waba.country = country;
    });
  }

  /** `PARTNER_APP_UNINSTALLED`: the customer removed the app's permissions, the stored token is dead. */
  async recordAppUninstalled(wabaId: string, observedAt: Date, context: ChangeContext): Promise<ReportOutcome> {
    return this.report(wabaId, context, (waba) => requireReauthorization(waba, observedAt));
  }

  /**
   * `MM_LITE_TERMS_SIGNED` when Meta could not be re-read: the terms are signed as of `observedAt` (the
   * column becomes NOT_ONBOARDED), unless a newer reading says otherwise. APPLIED, changing nothing, when
   * they are signed already.
   */
  async recordTermsSigned(wabaId: string, observedAt: Date, context: ChangeContext): Promise<ReportOutcome> {
    let outcome = ReportOutcome.APPLIED;
    await this.changes.applyOne(wabaId, context, (waba) => {
      if (waba.mmLiteTermsStatus === META_TERMS_SIGNED) {
        return false;
      }
      const applied = applyTermsStatus(waba, META_TERMS_SIGNED, observedAt);
      outcome = applied ? ReportOutcome.APPLIED : ReportOutcome.STALE;
      return applied;
    });
    return outcome;
  }

  /**
   * `account_review_update`: the review decision (Graph's `account_review_status`), audited as WABA_UPDATED
   * when it changed, since it is not one of the derived columns.
   */
  async recordReviewDecision(
    wabaId: string,
    reviewStatus: string,
    observedAt: Date,
    context: ChangeContext,
  ): Promise<ReportOutcome> {
    return this.report(wabaId, context, (waba) => {
      const previous = waba.accountReviewStatus;
      const applied = observeFact(waba, 'accountReviewStatus', observedAt, () => {
        waba.accountReviewStatus = reviewStatus;
      });
      if (applied && previous !== reviewStatus) {
        this.changes.recordFieldChange(
          waba,
          context,
          AuditEventType.WABA_UPDATED,
          { accountReviewStatus: previous },
          { accountReviewStatus: reviewStatus },
        );
      }
      return applied;
    });
  }

  /** Applies a report of one fact unless a newer report of it is applied already. */
  private observe(
    wabaId: string,
    fact: WabaFact,
    observedAt: Date,
    context: ChangeContext,
    apply: (waba: Waba) => void,
  ): Promise<ReportOutcome> {
    return this.report(wabaId, context, (waba) => observeFact(waba, fact, observedAt, () => apply(waba)));
  }

  /** Runs a report that either applies (APPLIED) or is older than the fact it reports (STALE). */
  private async report(wabaId: string, context: ChangeContext, apply: (waba: Waba) => boolean): Promise<ReportOutcome> {
    let outcome = ReportOutcome.APPLIED;
    await this.changes.applyOne(wabaId, context, (waba) => {
      const applied = apply(waba);
      outcome = applied ? ReportOutcome.APPLIED : ReportOutcome.STALE;
      return applied;
    });
    return outcome;
  }
}

/** The report outcome of a reconnection: one the disconnection is newer than is STALE, one it cannot undo IGNORED. */
export function reportOutcomeOf(reconnection: ReconnectionOutcome): ReportOutcome {
  switch (reconnection) {
    case ReconnectionOutcome.APPLIED:
      return ReportOutcome.APPLIED;
    case ReconnectionOutcome.STALE:
      return ReportOutcome.STALE;
    case ReconnectionOutcome.NOT_APPLICABLE:
      return ReportOutcome.IGNORED;
  }
}
