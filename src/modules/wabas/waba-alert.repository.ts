import { randomUUID } from 'node:crypto';

import { EntityRepository } from '@mikro-orm/postgresql';

import { boundRows, preparedRead } from 'src/common/database/bound-sql';

import type { WabaAlert } from './waba-alert.entity';
import type { WabaAlertView } from './waba-alerts.types';
import { AlertSeverity, AlertStatus } from './waba-alerts.types';

/** The key of an alert: Meta gives alerts no ID of their own. */
export interface WabaAlertKey {
  /** The WABA row's id (not Meta's WABA ID). */
  wabaRowId: string;
  entityType: string;
  entityId: string;
  alertType: string;
}

/** An alert's state as stored (or about to be). */
export interface WabaAlertState {
  severity: string;
  status: string;
  description: string | null;
  occurredAt: Date;
}

/** Alerts shown on a WABA's detail at most: one per entity and type, so a handful in practice. */
export const DETAIL_ALERTS_LIMIT = 100;

/**
 * The order of the detail's alerts: ACTIVE first, then newest first (then a stable order). `a` is the alerts'
 * table alias; the status is a constant, written into the text so that the statement keeps its parameters.
 */
export const DETAIL_ALERTS_ORDER = `(a.status = '${AlertStatus.ACTIVE}') DESC, a.occurred_at DESC, a.alert_type, a.entity_id`;

/** The columns of an alert as a statement reads them (also inside the WABA detail's statement, as JSON). */
export interface AlertRowColumns {
  alert_type: string;
  severity: string;
  status: string;
  description: string | null;
  entity_type: string;
  entity_id: string;
  occurred_at: Date | string;
  received_at: Date | string;
}

/**
 * The SQL of `waba_alerts`. The writes run inside the command's transaction, under the WABA's row lock
 * (WabaChanges), so one WABA's alerts are read and written by one transaction at a time; they are
 * statements, not unit-of-work writes, so that a batch of deliveries sees its own earlier alerts.
 */
export class WabaAlertRepository extends EntityRepository<WabaAlert> {
  /** The alert's stored state, null when it was never reported. */
  async findState(key: WabaAlertKey): Promise<WabaAlertState | null> {
    const [row] = await this.sql<AlertRowColumns>(
      `SELECT severity, status, description, occurred_at
         FROM waba_alerts
        WHERE waba_id = ? AND entity_type = ? AND entity_id = ? AND alert_type = ?`,
      [key.wabaRowId, key.entityType, key.entityId, key.alertType],
    );
    return row
      ? {
          severity: row.severity,
          status: row.status,
          description: row.description,
          occurredAt: new Date(row.occurred_at),
        }
      : null;
  }

  /** Stores the alert's new state (a new alert, or a newer report of a known one). */
  async store(organizationId: string, key: WabaAlertKey, state: WabaAlertState, receivedAt: Date): Promise<void> {
    await this.sql(
      `INSERT INTO waba_alerts (id, organization_id, waba_id, entity_type, entity_id, alert_type, severity, status,
                                description, occurred_at, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (waba_id, entity_type, entity_id, alert_type) DO UPDATE
          SET severity = excluded.severity, status = excluded.status, description = excluded.description,
              occurred_at = excluded.occurred_at, received_at = excluded.received_at, updated_at = now()`,
      [
        randomUUID(),
        organizationId,
        key.wabaRowId,
        key.entityType,
        key.entityId,
        key.alertType,
        state.severity,
        state.status,
        state.description,
        state.occurredAt,
        receivedAt,
      ],
    );
  }

  /** The type of the WABA's newest ACTIVE CRITICAL alert, null when it has none. */
  async newestActiveCritical(wabaRowId: string): Promise<string | null> {
    const [row] = await this.sql<{ alert_type: string }>(
      `SELECT alert_type
         FROM waba_alerts
        WHERE waba_id = ? AND severity = ? AND status = ?
        ORDER BY occurred_at DESC, alert_type
        LIMIT 1`,
      [wabaRowId, AlertSeverity.CRITICAL, AlertStatus.ACTIVE],
    );
    return row?.alert_type ?? null;
  }

  /** The organization's WABA's alerts, ACTIVE ones first, then newest first. */
  async listForWaba(organizationId: string, wabaId: string): Promise<WabaAlertView[]> {
    // Raw SQL is not covered by the tenant filter: the organization condition is the scope.
    const rows = await preparedRead<AlertRowColumns>(
      this.getEntityManager(),
      `SELECT a.alert_type, a.severity, a.status, a.description, a.entity_type, a.entity_id, a.occurred_at,
              a.received_at
         FROM waba_alerts a
         JOIN wabas w ON w.id = a.waba_id
        WHERE w.organization_id = ? AND w.waba_id = ? AND a.organization_id = ?
        ORDER BY ${DETAIL_ALERTS_ORDER}
        LIMIT ?`,
      [organizationId, wabaId, organizationId, DETAIL_ALERTS_LIMIT],
    );
    return rows.map(toAlertView);
  }

  private sql<T>(query: string, params: unknown[]): Promise<T[]> {
    return boundRows<T>(this.getEntityManager(), query, params);
  }
}

/** An alert as read (a row, or an element of the detail's JSON array) as the detail shows it. */
export function toAlertView(row: AlertRowColumns): WabaAlertView {
  return {
    type: row.alert_type,
    severity: row.severity,
    status: row.status,
    description: row.description,
    entityType: row.entity_type,
    entityId: row.entity_id,
    occurredAt: new Date(row.occurred_at),
    receivedAt: new Date(row.received_at),
  };
}
