import { Injectable } from '@nestjs/common';

import { TemplateChangeOutcome, statusOfEvent } from 'src/modules/templates/templates.constants';
import { TemplatesService } from 'src/modules/templates/templates.service';
import type { TemplateWebhookReport } from 'src/modules/templates/templates.types';

import { WebhookChangeOutcome } from 'src/modules/meta-webhooks/meta-webhooks.constants';
import type { RoutedChange } from 'src/modules/meta-webhooks/webhook-change.router';

import { type WebhookDelivery, webhookContext } from './webhook-change-context';

/** The `changes[].field` values of template webhooks (graph-api-2026.md §A.2). */
export const TEMPLATE_FIELDS = new Set([
  'message_template_status_update',
  'template_category_update',
  'message_template_quality_update',
  'message_template_components_update',
]);

/**
 * Reads a template webhook's value into what the templates module applies, or null when it lacks what it
 * needs (the template's ID, name, language, or the values of its kind). The kind is told by the keys of
 * `value`, not only by `field`: Meta's own quality example is labelled `message_template_status_update`
 * (§A.2.2), and the category update's two shapes differ only by their keys (§A.2.3). Template IDs arrive as
 * JSON numbers; the inbox reads those beyond 2^53 as strings (webhook-json.ts), so both are accepted.
 */
export function readTemplateReport(change: RoutedChange): TemplateWebhookReport | null {
  const value = change.value;
  const templateId = idOf(value.message_template_id);
  const name = text(value.message_template_name);
  const language = text(value.message_template_language);
  if (!templateId || !name || !language) {
    return null;
  }
  const key = { templateId, name, language };
  const newQuality = text(value.new_quality_score);
  if (newQuality) {
    return { ...key, kind: 'quality', quality: newQuality };
  }
  const newCategory = text(value.new_category);
  if (change.field === 'template_category_update' || newCategory) {
    if (!newCategory) {
      return null;
    }
    const correct = text(value.correct_category);
    if (correct && !('previous_category' in value)) {
      // Impending: `new_category` is still the current category (§A.2.3).
      return { ...key, kind: 'category-impending', currentCategory: newCategory, correctCategory: correct };
    }
    return { ...key, kind: 'category-completed', previousCategory: text(value.previous_category), newCategory };
  }
  if (change.field === 'message_template_components_update') {
    return { ...key, kind: 'components' };
  }
  const event = text(value.event);
  if (!event) {
    return null;
  }
  const otherInfo = value.other_info;
  const title =
    otherInfo !== null && typeof otherInfo === 'object' && !Array.isArray(otherInfo)
      ? text((otherInfo as Record<string, unknown>).title)
      : null;
  return {
    ...key,
    kind: 'status',
    status: statusOfEvent(event),
    category: text(value.message_template_category),
    reason: title && title !== 'UNPAUSE' ? title : text(value.reason),
  };
}

/**
 * The four template webhooks (§A.2) of a stored WABA, applied by TemplatesService as of Meta's `entry.time`
 * in the worker's batch transaction; none reads Meta (a template nobody knows makes its WABA's templates
 * due for the next round's read instead).
 */
@Injectable()
export class TemplateUpdateHandler {
  constructor(private readonly templates: TemplatesService) {}

  async handle(wabaId: string, change: RoutedChange, delivery: WebhookDelivery): Promise<WebhookChangeOutcome> {
    const report = readTemplateReport(change);
    if (!report) {
      return WebhookChangeOutcome.MALFORMED;
    }
    const outcome = await this.templates.applyWebhook(
      wabaId,
      report,
      change.time ?? delivery.receivedAt,
      webhookContext(change, delivery),
    );
    switch (outcome) {
      case TemplateChangeOutcome.APPLIED:
        return WebhookChangeOutcome.APPLIED;
      case TemplateChangeOutcome.STALE:
        return WebhookChangeOutcome.STALE;
      case TemplateChangeOutcome.REFRESH_SCHEDULED:
        return WebhookChangeOutcome.REFRESH_SCHEDULED;
    }
  }
}

function idOf(value: unknown): string | null {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value > 0 ? String(value) : null;
  }
  return typeof value === 'string' && /^\d{1,32}$/.test(value) ? value : null;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value.slice(0, 512) : null;
}
