import type { JsonObject, SimEventParams, SimTemplate, SimWaba } from './meta-simulator.types';
import { findTemplate } from './sim-templates';

/** The template scenario events (graph-api-2026.md §A.2, §A.11 simulator 2). */
export const TEMPLATE_EVENT_TYPES = [
  'TEMPLATE_APPROVED',
  'TEMPLATE_REJECTED',
  'TEMPLATE_PAUSED',
  'TEMPLATE_DISABLED',
  'TEMPLATE_CATEGORY_PENDING',
  'TEMPLATE_CATEGORY_CHANGED',
  'TEMPLATE_QUALITY_CHANGED',
  'TEMPLATE_COMPONENTS_CHANGED',
] as const;

/** One of {@link TEMPLATE_EVENT_TYPES}. */
export type TemplateEventType = (typeof TEMPLATE_EVENT_TYPES)[number];

/** Whether an event type is a template event. */
export function isTemplateEvent(type: string): type is TemplateEventType {
  return (TEMPLATE_EVENT_TYPES as readonly string[]).includes(type);
}

type Category = SimTemplate['category'];

/** Pause titles by how many times the template was paused (§A.1.3: 3 h, 6 h, then disabled). */
const PAUSE_TITLES = ['FIRST_PAUSE', 'SECOND_PAUSE'];

/** Seconds between an impending category change's notice and the change itself (~24 h, §A.2.3). */
const CATEGORY_NOTICE_SECONDS = 24 * 3600;

/**
 * Changes a WABA's template as Meta would and returns the webhook `value` of the matching field, shaped
 * like fixtures/2026/webhooks (template IDs as JSON numbers, the language as the webhook spells it, `en-US`).
 * `params.templateName` names the template (default: the WABA's first, or `new_template` for an approval
 * that creates one).
 */
export function applyTemplateEvent(
  waba: SimWaba,
  type: TemplateEventType,
  params: SimEventParams,
  nowSeconds: number,
  create: (template: Partial<SimTemplate> & { name: string }) => SimTemplate,
): { field: string; value: JsonObject } {
  const existing = params.templateName
    ? findTemplate(waba, params.templateName, params.language)
    : Object.values(waba.templates)[0];
  if (!existing && type !== 'TEMPLATE_APPROVED') {
    throw new Error(`WABA ${waba.id} has no template ${params.templateName ?? ''}`.trim());
  }
  const template =
    existing ??
    create({
      name: params.templateName ?? 'new_template',
      category: (params.category as Category | undefined) ?? 'MARKETING',
      status: 'PENDING',
      language: params.language,
    });
  const header = {
    message_template_id: Number(template.id),
    message_template_name: template.name,
    message_template_language: template.language.replace(/_/g, '-'),
  };
  const status = (event: string, reason: string | null, extra: JsonObject = {}) => ({
    field: 'message_template_status_update',
    value: { event, ...header, reason, message_template_category: template.category, ...extra },
  });
  switch (type) {
    case 'TEMPLATE_APPROVED':
      template.status = 'APPROVED';
      template.rejectedReason = 'NONE';
      return status('APPROVED', 'NONE');
    case 'TEMPLATE_REJECTED':
      template.status = 'REJECTED';
      template.rejectedReason = params.rejectionReason ?? 'INVALID_FORMAT';
      // Free-text details come only with INVALID_FORMAT (§A.2.1).
      return template.rejectedReason === 'INVALID_FORMAT'
        ? status('REJECTED', template.rejectedReason, {
            rejection_info: {
              reason: 'Two variables sit next to each other with no text between them.',
              recommendation: 'Put descriptive words between the variables.',
            },
          })
        : status('REJECTED', template.rejectedReason);
    case 'TEMPLATE_PAUSED': {
      if (template.pauses >= PAUSE_TITLES.length) {
        template.status = 'DISABLED';
        return status('DISABLED', null, { disable_info: { disable_date: nowSeconds } });
      }
      const title = PAUSE_TITLES[template.pauses];
      template.pauses += 1;
      template.status = 'PAUSED';
      template.qualityScore = 'RED';
      return status('PAUSED', 'NONE', {
        other_info: {
          title,
          description: `Template paused for ${3 * template.pauses} hours after low-quality feedback.`,
        },
      });
    }
    case 'TEMPLATE_DISABLED':
      template.status = 'DISABLED';
      return status('DISABLED', null, { disable_info: { disable_date: nowSeconds } });
    case 'TEMPLATE_CATEGORY_PENDING': {
      const correct = (params.category as Category | undefined) ?? flip(template.category);
      template.correctCategory = correct;
      return {
        field: 'template_category_update',
        value: {
          ...header,
          new_category: template.category,
          correct_category: correct,
          category_update_timestamp: nowSeconds + CATEGORY_NOTICE_SECONDS,
        },
      };
    }
    case 'TEMPLATE_CATEGORY_CHANGED': {
      const previous = template.category;
      const next =
        (params.category as Category | undefined) ??
        (template.correctCategory as Category | null) ??
        flip(template.category);
      template.previousCategory = previous;
      template.category = next;
      template.correctCategory = next;
      return {
        field: 'template_category_update',
        value: { ...header, previous_category: previous, new_category: next },
      };
    }
    case 'TEMPLATE_QUALITY_CHANGED': {
      const previous = template.qualityScore;
      const cycle: Record<string, SimTemplate['qualityScore']> = { GREEN: 'YELLOW', YELLOW: 'RED', RED: 'GREEN' };
      template.qualityScore =
        (params.qualityScore as SimTemplate['qualityScore'] | undefined) ?? cycle[previous] ?? 'GREEN';
      return {
        field: 'message_template_quality_update',
        value: { previous_quality_score: previous, new_quality_score: template.qualityScore, ...header },
      };
    }
    case 'TEMPLATE_COMPONENTS_CHANGED':
      template.bodyText = params.bodyText ?? `${template.bodyText} (edited)`;
      return {
        field: 'message_template_components_update',
        value: { ...header, message_template_element: template.bodyText },
      };
  }
}

function flip(category: Category): Category {
  return category === 'MARKETING' ? 'UTILITY' : 'MARKETING';
}
