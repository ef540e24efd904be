import { Injectable } from '@nestjs/common';

import { isOlderReport } from 'src/common/time/as-of';
import { AuditEventType } from 'src/modules/audit/audit.constants';
import { AuditService } from 'src/modules/audit/audit.service';
import type { ChangeContext } from 'src/modules/audit/change-context';

import { WabaAlertRepository, type WabaAlertKey, type WabaAlertState } from './waba-alert.repository';
import type { AccountAlertReport, WabaAlertView } from './waba-alerts.types';
import { WabaChanges } from './waba-changes';
import type { Waba } from './waba.entity';
import { ReportOutcome } from './wabas.constants';

/** Column widths of `waba_alerts` (what Meta sends beyond them is cut, never refused). */
const WIDTH = { entityType: 32, entityId: 64, type: 64, severity: 32, status: 32, description: 2048 } as const;

/**
 * A WABA's account alerts (`account_alerts`, graph-api-2026.md §A.5), owned with the WABA: each report
 * updates the alert's row and the WABA's `criticalAlert` column (what the list shows as a warning) in one
 * transaction, under the WABA's row lock, and is audited as ACCOUNT_ALERT_CHANGED when the alert changed.
 */
@Injectable()
export class WabaAlertsService {
  constructor(
    private readonly changes: WabaChanges,
    private readonly alerts: WabaAlertRepository,
    private readonly audit: AuditService,
  ) {}

  /**
   * Records a report of an alert as of Meta's time `observedAt`: a new alert, or a new state of a known one
   * (same WABA, entity and type). A report older than the alert's newest is STALE and changes nothing; a
   * report of the same second applies in arrival order; a redelivery changes nothing and records nothing.
   * IGNORED when the WABA is unknown. Joins the caller's transaction (the webhook worker's batch).
   */
  async recordAlert(
    wabaId: string,
    report: AccountAlertReport,
    observedAt: Date,
    context: ChangeContext,
  ): Promise<ReportOutcome> {
    let outcome = ReportOutcome.IGNORED;
    await this.changes.applyOne(wabaId, context, async (waba) => {
      const key: WabaAlertKey = {
        wabaRowId: waba.id,
        entityType: report.entityType.slice(0, WIDTH.entityType),
        entityId: report.entityId.slice(0, WIDTH.entityId),
        alertType: report.type.slice(0, WIDTH.type),
      };
      const stored = await this.alerts.findState(key);
      if (stored && isOlderReport(observedAt, stored.occurredAt)) {
        outcome = ReportOutcome.STALE;
        return false;
      }
      outcome = ReportOutcome.APPLIED;
      const next: WabaAlertState = {
        severity: report.severity.slice(0, WIDTH.severity),
        status: report.status.slice(0, WIDTH.status),
        description: report.description?.slice(0, WIDTH.description) ?? null,
        occurredAt: observedAt,
      };
      const changed = stored === null || !sameState(stored, next);
      if (stored && !changed && stored.occurredAt.getTime() === observedAt.getTime()) {
        // A redelivery (or a repeat within the second): nothing to write.
        return false;
      }
      await this.alerts.store(waba.organization.id, key, next, context.occurredAt ?? new Date());
      if (changed) {
        this.recordChange(waba, key, report.phoneNumberId, stored, next, context);
      }
      const critical = await this.alerts.newestActiveCritical(waba.id);
      const criticalChanged = waba.criticalAlert !== critical;
      waba.criticalAlert = critical;
      // True publishes the WABA's update after the commit (the console refetches the detail).
      return changed || criticalChanged;
    });
    return outcome;
  }

  /** The organization's WABA's alerts as its detail shows them: ACTIVE first, then newest first. */
  async alertsOf(organizationId: string, wabaId: string): Promise<WabaAlertView[]> {
    return this.alerts.listForWaba(organizationId, wabaId);
  }

  private recordChange(
    waba: Waba,
    key: WabaAlertKey,
    phoneNumberId: string | null,
    before: WabaAlertState | null,
    after: WabaAlertState,
    context: ChangeContext,
  ): void {
    const alert = { type: key.alertType, entityType: key.entityType, entityId: key.entityId };
    this.audit.record({
      organizationId: waba.organization.id,
      wabaId: waba.wabaId,
      phoneNumberId,
      type: AuditEventType.ACCOUNT_ALERT_CHANGED,
      source: context.source,
      actor: context.actor,
      occurredAt: context.occurredAt,
      before: before ? { ...alert, ...shown(before) } : null,
      after: { ...alert, ...shown(after) },
    });
  }
}

function shown(state: WabaAlertState): Record<string, unknown> {
  return {
    severity: state.severity,
    status: state.status,
    description: state.description,
    occurredAt: state.occurredAt.toISOString(),
  };
}

function sameState(a: WabaAlertState, b: WabaAlertState): boolean {
  return a.severity === b.severity && a.status === b.status && a.description === b.description;
}
