import { Injectable } from '@nestjs/common';

import { MarketingSendLogService } from 'src/modules/mm-lite/marketing-send-log.service';
import { MarketingMessageStatus } from 'src/modules/mm-lite/mm-lite.constants';
import type { MarketingPreferenceReport, MessageStatusReport } from 'src/modules/mm-lite/mm-lite.types';
import { WabasService } from 'src/modules/wabas/wabas.service';

import { WebhookChangeOutcome } from 'src/modules/meta-webhooks/meta-webhooks.constants';
import type { RoutedChange } from 'src/modules/meta-webhooks/webhook-change.router';

import { type WebhookDelivery, webhookContext } from './webhook-change-context';

/**
 * The fields about the messages of a WABA's numbers: statuses (`messages`) and users' marketing choices
 * (`user_preferences`; `user_marketing_preferences` is the name issue 16 gives it, accepted as an alias).
 * None writes a WABA row, so none takes the WABA's lock in a batch.
 */
export const MESSAGE_FIELDS = new Set(['messages', 'user_preferences', 'user_marketing_preferences']);

const STATUSES: Readonly<Record<string, MarketingMessageStatus>> = {
  sent: MarketingMessageStatus.SENT,
  delivered: MarketingMessageStatus.DELIVERED,
  read: MarketingMessageStatus.READ,
  failed: MarketingMessageStatus.FAILED,
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Reads `value.statuses[]` of a `messages` change (graph-api-reference.md §6.8, graph-api-2026 §A.6) into
 * what the mm-lite module applies. Statuses other than sent, delivered, read and failed (`deleted`,
 * `warning`…), and entries without an ID or a readable timestamp, are left out.
 */
export function readStatusReports(value: Record<string, unknown>): MessageStatusReport[] {
  const statuses = Array.isArray(value.statuses) ? value.statuses : [];
  const reports: MessageStatusReport[] = [];
  for (const entry of statuses) {
    if (!isRecord(entry)) {
      continue;
    }
    const messageId = text(entry.id, 128);
    const status = STATUSES[typeof entry.status === 'string' ? entry.status : ''];
    const at = unixTime(entry.timestamp);
    if (!messageId || !status || !at) {
      continue;
    }
    const callback = text(entry.biz_opaque_callback_data, 512);
    const pricing = isRecord(entry.pricing) ? text(entry.pricing.category, 32) : null;
    reports.push({
      messageId,
      status,
      at,
      callbackData: callback && UUID.test(callback) ? callback.toLowerCase() : null,
      recipients: recipientsOf(entry.recipient_id, entry.recipient_user_id, entry.recipient_parent_user_id),
      error: status === MarketingMessageStatus.FAILED ? errorOf(entry.errors) : null,
      pricingCategory: pricing,
    });
  }
  return reports;
}

/**
 * Reads `value.user_preferences[]` (Meta's shape: `{wa_id, user_id?, parent_user_id?, detail, category:
 * "marketing_messages", value: "stop" | "resume", timestamp}`) into the users' marketing choices; entries of
 * another category or value are left out.
 */
export function readPreferenceReports(value: Record<string, unknown>): MarketingPreferenceReport[] {
  const entries = Array.isArray(value.user_preferences)
    ? value.user_preferences
    : Array.isArray(value.user_marketing_preferences)
      ? value.user_marketing_preferences
      : [];
  const reports: MarketingPreferenceReport[] = [];
  for (const entry of entries) {
    if (!isRecord(entry) || entry.category !== 'marketing_messages') {
      continue;
    }
    const choice = typeof entry.value === 'string' ? entry.value.toLowerCase() : '';
    const at = unixTime(entry.timestamp);
    const recipients = recipientsOf(entry.wa_id, entry.user_id, entry.parent_user_id);
    if ((choice !== 'stop' && choice !== 'resume') || !at || recipients.length === 0) {
      continue;
    }
    reports.push({ recipients, stop: choice === 'stop', at });
  }
  return reports;
}

/** Applies statuses and marketing preferences through the mm-lite module, in the worker's transaction. */
@Injectable()
export class MessageStatusHandler {
  constructor(
    private readonly sends: MarketingSendLogService,
    private readonly wabas: WabasService,
  ) {}

  async handle(change: RoutedChange, delivery: WebhookDelivery): Promise<WebhookChangeOutcome> {
    if (!change.wabaId) {
      return WebhookChangeOutcome.MALFORMED;
    }
    if (change.field === 'messages') {
      const statuses = readStatusReports(change.value);
      if (statuses.length === 0 || !change.phoneNumberId) {
        // Incoming messages and other kinds of `messages` change: nothing here acts on them.
        return WebhookChangeOutcome.IGNORED;
      }
      const applied = await this.sends.applyStatuses(
        change.wabaId,
        change.phoneNumberId,
        statuses,
        webhookContext(change, delivery),
      );
      return applied.matched > 0 ? WebhookChangeOutcome.APPLIED : WebhookChangeOutcome.IGNORED;
    }
    const preferences = readPreferenceReports(change.value);
    if (preferences.length === 0) {
      return WebhookChangeOutcome.IGNORED;
    }
    const waba = await this.wabas.findByWabaId(change.wabaId);
    if (!waba) {
      return WebhookChangeOutcome.UNKNOWN_WABA;
    }
    await this.sends.applyPreferences(waba.organization.id, waba.wabaId, preferences, webhookContext(change, delivery));
    return WebhookChangeOutcome.APPLIED;
  }
}

/** How sends name a recipient: `+` and the digits of a `wa_id`/`recipient_id`, or a BSUID as given. */
function recipientsOf(phone: unknown, userId: unknown, parentUserId: unknown): string[] {
  const recipients: string[] = [];
  const digits = typeof phone === 'string' ? phone.replace(/^\+/, '') : '';
  if (/^\d{7,15}$/.test(digits)) {
    recipients.push(`+${digits}`);
  }
  for (const id of [userId, parentUserId]) {
    const bsuid = text(id, 160);
    if (bsuid) {
      recipients.push(bsuid);
    }
  }
  return recipients;
}

function errorOf(errors: unknown): MessageStatusReport['error'] {
  const first: unknown = Array.isArray(errors) ? errors[0] : undefined;
  if (!isRecord(first) || typeof first.code !== 'number' || !Number.isSafeInteger(first.code)) {
    return null;
  }
  const data = isRecord(first.error_data) ? first.error_data : {};
  return {
    code: first.code,
    title: text(first.title, 512),
    details: text(data.details, 2048) ?? text(first.message, 2048),
  };
}

/** Meta's `timestamp`: unix seconds, as a string (or a number). */
function unixTime(value: unknown): Date | null {
  const seconds = typeof value === 'string' && /^\d{1,12}$/.test(value) ? Number(value) : value;
  return typeof seconds === 'number' && Number.isSafeInteger(seconds) && seconds > 0 ? new Date(seconds * 1000) : null;
}

function text(value: unknown, max: number): string | null {
  return typeof value === 'string' && value !== '' ? value.slice(0, max) : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
