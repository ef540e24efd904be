import { Injectable } from '@nestjs/common';

import { PhoneNumbersService } from 'src/modules/phone-numbers/phone-numbers.service';
import { WabaAlertsService } from 'src/modules/wabas/waba-alerts.service';
import {
  type AccountAlertReport,
  AlertEntityType,
  AlertSeverity,
  AlertStatus,
} from 'src/modules/wabas/waba-alerts.types';

import { WebhookChangeOutcome } from 'src/modules/meta-webhooks/meta-webhooks.constants';
import type { RoutedChange } from 'src/modules/meta-webhooks/webhook-change.router';

import { webhookOutcomeOf } from './account-update.handler';
import { type WebhookDelivery, webhookContext } from './webhook-change-context';

/** Spellings of a 2026 TypeScript SDK (graph-api-2026.md §A.5, §A.10-8) read as Meta's documented values. */
const SEVERITY_ALIASES: Record<string, string> = { INFO: AlertSeverity.INFORMATIONAL };
const STATUS_ALIASES: Record<string, string> = { RESOLVED: AlertStatus.NONE, INACTIVE: AlertStatus.NONE };

/** An alert as read from the payload, before its entity is resolved. */
export type AccountAlertReading = Omit<AccountAlertReport, 'phoneNumberId'>;

/**
 * Reads an `account_alerts` change (graph-api-2026.md §A.5) in each shape seen for it: Meta's, with the alert
 * under `value.alert_info`, and the flat one (the `alert_*` keys on `value` itself, `INFO`/`RESOLVED`, entity
 * `WABA`). An alert without an entity is about the WABA the change is about. Null when the change has no
 * alert type or severity (MALFORMED). `alert_description` is kept as is, never parsed.
 */
export function readAccountAlert(change: RoutedChange, wabaId: string): AccountAlertReading | null {
  const value = change.value;
  const info = asRecord(value.alert_info) ?? value;
  const type = upper(text(info.alert_type) ?? text(info.type));
  const severity = upper(text(info.alert_severity) ?? text(info.severity));
  if (!type || !severity) {
    return null;
  }
  const status = upper(text(info.alert_status) ?? text(info.status)) ?? AlertStatus.ACTIVE;
  const entityType = upper(text(value.entity_type) ?? text(info.entity_type)) ?? AlertEntityType.WABA;
  const entityId =
    id(value.entity_id) ?? id(info.entity_id) ?? (entityType === (AlertEntityType.WABA as string) ? wabaId : null);
  if (!entityId) {
    return null;
  }
  return {
    entityType,
    entityId,
    type,
    severity: SEVERITY_ALIASES[severity] ?? severity,
    status: STATUS_ALIASES[status] ?? status,
    description: text(info.alert_description) ?? text(info.description),
  };
}

/**
 * `account_alerts`: Meta tells the business about a denied or deferred messaging-limit increase, an Official
 * Business Account decision, a lost profile picture. Stored with the WABA as of Meta's `entry.time`
 * (WabaAlertsService: a later state of the same alert updates it, an older one is STALE). An alert about a
 * number the platform does not hold under that WABA is UNKNOWN_PHONE_NUMBER, like the numbers' own webhooks.
 */
@Injectable()
export class AccountAlertsHandler {
  constructor(
    private readonly alerts: WabaAlertsService,
    private readonly phoneNumbers: PhoneNumbersService,
  ) {}

  async handle(
    waba: { id: string; wabaId: string },
    change: RoutedChange,
    delivery: WebhookDelivery,
  ): Promise<WebhookChangeOutcome> {
    const alert = readAccountAlert(change, waba.wabaId);
    if (!alert) {
      return WebhookChangeOutcome.MALFORMED;
    }
    let phoneNumberId: string | null = null;
    if (alert.entityType === (AlertEntityType.PHONE_NUMBER as string)) {
      const phone = await this.phoneNumbers.findForWebhook(waba, alert.entityId, null);
      if (!phone) {
        return WebhookChangeOutcome.UNKNOWN_PHONE_NUMBER;
      }
      phoneNumberId = phone.phoneNumberId;
    }
    const observedAt = change.time ?? delivery.receivedAt;
    const context = webhookContext(change, delivery);
    return webhookOutcomeOf(
      await this.alerts.recordAlert(waba.wabaId, { ...alert, phoneNumberId }, observedAt, context),
    );
  }
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim().length > 0 ? value.trim() : null;
}

function upper(value: string | null): string | null {
  return value === null ? null : value.toUpperCase();
}

/** An ID as Meta sends it: digits, as a string or a JSON number. */
function id(value: unknown): string | null {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) {
    return String(value);
  }
  return typeof value === 'string' && /^\d{1,64}$/.test(value.trim()) ? value.trim() : null;
}
